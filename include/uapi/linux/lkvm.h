/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * lkvm: the ABI between lkvm, its guests and lkvm.ko.
 *
 * Documentation/lkvm-abi.rst is the prose version of this file; the two
 * change together.
 */
#ifndef _UAPI_LINUX_LKVM_H
#define _UAPI_LINUX_LKVM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * Paravirt exit device (guest -> lkvm).
 *
 * A write to LKVM_EXIT_PORT ends the VM; lkvm exits with the low 8 bits of
 * the value written as its own exit status.  Any access width works; reads
 * return LKVM_EXIT_MAGIC so that a guest can probe for the device.  A Linux
 * guest reaches it from user space with ioperm(2).  The same register is
 * also decoded as MMIO at LKVM_EXIT_MMIO (one 4 KiB page, register at
 * offset 0), for guests and tests that exercise the MMIO exit path.
 */
#define LKVM_EXIT_PORT		0x5f0
#define LKVM_EXIT_MMIO		0xfeb00000ULL
#define LKVM_EXIT_MAGIC		0x4c4b	/* "LK" */

/*
 * Payload boot protocol (lkvm run -k payload.elf).
 *
 * An ELF64 x86-64 executable that is not a Linux vmlinux is loaded at the
 * physical addresses of its PT_LOAD segments and entered at e_entry with:
 *   - long mode, CPL 0, interrupts off, paging on with guest-physical memory
 *     below 4 GiB identity-mapped by 2 MiB pages (page tables live at
 *     LKVM_PAYLOAD_PT, and are ordinary guest memory the payload may replace);
 *   - CS = LKVM_PAYLOAD_CS (64-bit code), DS/ES/SS = LKVM_PAYLOAD_DS, flat;
 *   - RSP = top of guest RAM below 4 GiB; RDI = guest RAM size in bytes.
 * lkvm's boot structures (GDT, page tables) occupy guest-physical
 * 0x1000-0x7fff; payloads load at or above LKVM_PAYLOAD_MIN_LOAD.
 * With --real-mode a flat binary is loaded at LKVM_REAL_MODE_LOAD and entered
 * at CS:IP = 0:LKVM_REAL_MODE_LOAD in real mode, as a boot sector would be.
 */
#define LKVM_PAYLOAD_PT		0x1000
/* The selectors of the Linux 64-bit boot protocol (__BOOT_CS, __BOOT_DS). */
#define LKVM_PAYLOAD_CS		0x10
#define LKVM_PAYLOAD_DS		0x18
#define LKVM_REAL_MODE_LOAD	0x7c00
#define LKVM_PAYLOAD_MIN_LOAD	0x100000

/*
 * Block backend of lkvm.ko: /dev/lkvm-blk.
 *
 * Each open() of /dev/lkvm-blk is one virtio-blk device instance whose
 * virtqueue (split layout, virtio 1.x, little-endian) lives in the memory of
 * the process that called LKVM_BLK_SET_OWNER.  Ring and buffer addresses are
 * guest-physical and are translated through the memory table.
 * Documentation/lkvm-blk.rst specifies every ioctl and netlink attribute.
 */

#define LKVM_BLK_API_VERSION	1
#define LKVM_BLK_IOC		0xB8

#define LKVM_BLK_MAX_QUEUES	1	/* virtqueue indices: 0 only */
#define LKVM_BLK_MAX_RING	1024	/* largest queue size */
#define LKVM_BLK_MAX_REGIONS	64	/* memory table entries */
#define LKVM_BLK_MAX_REQ_BYTES	(64U << 20)	/* data bytes per request */
#define LKVM_BLK_MAX_DISCARD_SEG	256	/* segments per discard/zeroes */
#define LKVM_BLK_SERIAL_BYTES	20	/* VIRTIO_BLK_ID_BYTES */

struct lkvm_blk_mem_region {
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
	__u64 flags;		/* must be 0 */
};

struct lkvm_blk_mem_table {
	__u32 nregions;
	__u32 padding;		/* must be 0 */
	struct lkvm_blk_mem_region regions[];
};

struct lkvm_blk_vring_state {
	__u32 index;
	__u32 num;
};

struct lkvm_blk_vring_addr {
	__u32 index;
	__u32 flags;		/* must be 0 */
	__u64 desc_gpa;
	__u64 avail_gpa;
	__u64 used_gpa;
};

struct lkvm_blk_vring_file {
	__u32 index;
	__s32 fd;		/* -1 detaches */
};

#define LKVM_BLK_BACKEND_RO	(1U << 0)	/* refuse writes */

struct lkvm_blk_backend {
	__s32 fd;		/* -1 detaches */
	__u32 flags;		/* LKVM_BLK_BACKEND_* */
	__u8 serial[LKVM_BLK_SERIAL_BYTES];	/* answer to GET_ID */
	__u32 padding;		/* must be 0 */
};

#define LKVM_BLK_GET_VERSION	_IOR(LKVM_BLK_IOC, 0x00, __u32)
#define LKVM_BLK_SET_OWNER	_IO(LKVM_BLK_IOC, 0x01)
#define LKVM_BLK_GET_ID		_IOR(LKVM_BLK_IOC, 0x02, __u32)
#define LKVM_BLK_GET_FEATURES	_IOR(LKVM_BLK_IOC, 0x03, __u64)
#define LKVM_BLK_SET_FEATURES	_IOW(LKVM_BLK_IOC, 0x04, __u64)
#define LKVM_BLK_SET_MEM_TABLE	_IOW(LKVM_BLK_IOC, 0x05, struct lkvm_blk_mem_table)
#define LKVM_BLK_SET_BACKEND	_IOW(LKVM_BLK_IOC, 0x06, struct lkvm_blk_backend)
#define LKVM_BLK_SET_VRING_NUM	_IOW(LKVM_BLK_IOC, 0x10, struct lkvm_blk_vring_state)
#define LKVM_BLK_SET_VRING_ADDR	_IOW(LKVM_BLK_IOC, 0x11, struct lkvm_blk_vring_addr)
#define LKVM_BLK_SET_VRING_BASE	_IOW(LKVM_BLK_IOC, 0x12, struct lkvm_blk_vring_state)
#define LKVM_BLK_GET_VRING_BASE	_IOWR(LKVM_BLK_IOC, 0x13, struct lkvm_blk_vring_state)
#define LKVM_BLK_SET_VRING_KICK	_IOW(LKVM_BLK_IOC, 0x14, struct lkvm_blk_vring_file)
#define LKVM_BLK_SET_VRING_CALL	_IOW(LKVM_BLK_IOC, 0x15, struct lkvm_blk_vring_file)
#define LKVM_BLK_SET_VRING_ERR	_IOW(LKVM_BLK_IOC, 0x16, struct lkvm_blk_vring_file)
#define LKVM_BLK_START		_IOW(LKVM_BLK_IOC, 0x20, __u32)
#define LKVM_BLK_STOP		_IOW(LKVM_BLK_IOC, 0x21, __u32)
#define LKVM_BLK_RESET		_IO(LKVM_BLK_IOC, 0x22)

/* Queue state (LKVM_ATTR_QUEUE_STATE). */
enum lkvm_blk_queue_state {
	LKVM_BLK_QUEUE_IDLE,		/* configured or not, not serving */
	LKVM_BLK_QUEUE_RUNNING,
	LKVM_BLK_QUEUE_ERROR,		/* malformed ring; RESET recovers */
};

/* Why a queue entered LKVM_BLK_QUEUE_ERROR (LKVM_ATTR_QUEUE_ERROR). */
enum lkvm_blk_queue_error {
	LKVM_BLK_QERR_NONE,
	LKVM_BLK_QERR_RING_ADDR,	/* ring outside the table or misaligned */
	LKVM_BLK_QERR_AVAIL_IDX,	/* avail idx moved by more than num */
	LKVM_BLK_QERR_HEAD,		/* head or next index >= ring size */
	LKVM_BLK_QERR_DESC_ADDR,	/* buffer outside the memory table */
	LKVM_BLK_QERR_DESC_LEN,		/* zero length, or chain too large */
	LKVM_BLK_QERR_CHAIN,		/* loop or chain longer than the ring */
	LKVM_BLK_QERR_INDIRECT,		/* malformed indirect table */
	LKVM_BLK_QERR_LAYOUT,		/* no header, no status, bad order */
	LKVM_BLK_QERR_FAULT,		/* guest memory not accessible */
};

/*
 * Generic netlink family LKVM_GENL_NAME: LKVM_CMD_GET_INSTANCE with
 * NLM_F_DUMP lists every instance, one message each; without it,
 * LKVM_ATTR_ID selects one.
 */
#define LKVM_GENL_NAME		"lkvm"
#define LKVM_GENL_VERSION	1

enum lkvm_genl_cmd {
	LKVM_CMD_UNSPEC,
	LKVM_CMD_GET_INSTANCE,
	__LKVM_CMD_MAX,
};

#define LKVM_CMD_MAX (__LKVM_CMD_MAX - 1)

enum lkvm_genl_attr {
	LKVM_ATTR_UNSPEC,
	LKVM_ATTR_PAD,
	LKVM_ATTR_ID,			/* u32 */
	LKVM_ATTR_TYPE,			/* string: "blk" */
	LKVM_ATTR_OWNER_PID,		/* u32, 0 before SET_OWNER */
	LKVM_ATTR_QUEUE_STATE,		/* u32, enum lkvm_blk_queue_state */
	LKVM_ATTR_QUEUE_ERROR,		/* u32, enum lkvm_blk_queue_error */
	LKVM_ATTR_REQUESTS,		/* u64, requests completed */
	LKVM_ATTR_READ_BYTES,		/* u64 */
	LKVM_ATTR_WRITE_BYTES,		/* u64 */
	LKVM_ATTR_ERRORS,		/* u64, requests not VIRTIO_BLK_S_OK */
	LKVM_ATTR_RING_ERRORS,		/* u64, times a queue entered ERROR */
	LKVM_ATTR_INFLIGHT,		/* u32, requests submitted, not done */
	LKVM_ATTR_FLUSHES,		/* u64 */
	LKVM_ATTR_CAPACITY,		/* u64, 512-byte sectors */
	LKVM_ATTR_LAST_AVAIL,		/* u32, next avail index to serve */
	__LKVM_ATTR_MAX,
};

#define LKVM_ATTR_MAX (__LKVM_ATTR_MAX - 1)

/*
 * Control socket (lkvm run <-> lkvm list/stop/pause/resume/debug/stat).
 *
 * Each running lkvm listens on a unix stream socket
 * $XDG_RUNTIME_DIR/lkvm/<name>.sock (~/.lkvm/<name>.sock without
 * XDG_RUNTIME_DIR).  One request per connection: the client sends a header
 * and `length` payload bytes, the server answers with a header (status set,
 * command echoed) and its payload, then closes.  All integers are
 * little-endian.  Documentation/control.rst is the full specification.
 */
#define LKVM_CTL_MAGIC		0x4c54434cU	/* bytes "LCTL" */
#define LKVM_CTL_VERSION	1
#define LKVM_CTL_MAX_REQ	4096		/* request payload bytes */
#define LKVM_CTL_MAX_RESP	(1U << 20)	/* response payload bytes */
#define LKVM_CTL_NAME_MAX	64		/* name bytes, with the NUL */
#define LKVM_CTL_MAX_FRAMES	64		/* stack frames per vCPU */

struct lkvm_ctl_hdr {
	__le32 magic;		/* LKVM_CTL_MAGIC */
	__le16 version;		/* LKVM_CTL_VERSION of the sender */
	__le16 command;		/* enum lkvm_ctl_cmd; echoed in the response */
	__le32 status;		/* enum lkvm_ctl_status; 0 in requests */
	__le32 length;		/* payload bytes that follow */
};

enum lkvm_ctl_cmd {
	LKVM_CTL_STAT = 1,	/* -> struct lkvm_ctl_stat */
	LKVM_CTL_STOP = 2,	/* orderly stop; lkvm run exits with 0 */
	LKVM_CTL_PAUSE = 3,	/* every vCPU leaves the guest and waits */
	LKVM_CTL_RESUME = 4,
	LKVM_CTL_DEBUG = 5,	/* struct lkvm_ctl_debug_req -> lkvm_ctl_debug */
};

enum lkvm_ctl_status {
	LKVM_CTL_OK = 0,
	LKVM_CTL_E_SHORT = 1,	/* header or payload truncated */
	LKVM_CTL_E_MAGIC = 2,
	LKVM_CTL_E_VERSION = 3,	/* response header carries the server's */
	LKVM_CTL_E_LENGTH = 4,	/* payload too long or wrong for the command */
	LKVM_CTL_E_COMMAND = 5,	/* unknown command */
	LKVM_CTL_E_INVAL = 6,	/* a field out of range, or reserved not 0 */
	LKVM_CTL_E_STATE = 7,	/* not possible now: the guest is stopping */
	LKVM_CTL_E_TIMEOUT = 8,	/* vCPUs did not leave the guest in time */
	LKVM_CTL_E_PERM = 9,	/* peer is neither root nor lkvm's user */
	LKVM_CTL_E_INTERNAL = 10,	/* the accelerator failed */
};

enum lkvm_ctl_state {
	LKVM_CTL_RUNNING = 1,
	LKVM_CTL_PAUSED = 2,
	LKVM_CTL_STOPPING = 3,
};

/* STAT response.  Later versions may append fields; readers skip them. */
struct lkvm_ctl_stat {
	__le32 pid;
	__le32 state;		/* enum lkvm_ctl_state */
	__le32 nr_vcpus;
	__le32 reserved;
	__le64 ram_bytes;
	__le64 uptime_ns;
	char name[LKVM_CTL_NAME_MAX];	/* NUL-terminated */
	char accel[16];			/* "kvm" or "tcg", NUL-terminated */
};

/* DEBUG request. */
struct lkvm_ctl_debug_req {
	__le32 max_frames;	/* 0..LKVM_CTL_MAX_FRAMES */
	__le32 flags;		/* must be 0 */
};

/* Why a vCPU's stack walk ended (lkvm_ctl_vcpu.walk_end). */
enum lkvm_ctl_walk_end {
	LKVM_CTL_WALK_DONE = 0,		/* frame pointer 0: outermost frame */
	LKVM_CTL_WALK_LIMIT = 1,	/* max_frames reached */
	LKVM_CTL_WALK_UNMAPPED = 2,	/* stack not mapped or not RAM */
	LKVM_CTL_WALK_BAD_FP = 3,	/* frame pointer misaligned or not rising */
	LKVM_CTL_WALK_NO_PAGING = 4,	/* not in long mode: no walk */
};

struct lkvm_ctl_seg {
	__le64 base;
	__le32 limit;
	__le16 selector;
	/* type | s << 4 | dpl << 5 | p << 7 | avl << 12 | l << 13 | db << 14 | g << 15 */
	__le16 attrib;
};

struct lkvm_ctl_dtable {
	__le64 base;
	__le16 limit;
	__u16 padding[3];
};

/* Segment order in lkvm_ctl_vcpu.seg[]. */
enum lkvm_ctl_seg_index {
	LKVM_CTL_CS,
	LKVM_CTL_DS,
	LKVM_CTL_ES,
	LKVM_CTL_FS,
	LKVM_CTL_GS,
	LKVM_CTL_SS,
	LKVM_CTL_TR,
	LKVM_CTL_LDT,
	LKVM_CTL_NR_SEGS,
};

struct lkvm_ctl_vcpu {
	__le32 id;
	__le32 nr_frames;	/* valid entries of frames[] */
	__le32 walk_end;	/* enum lkvm_ctl_walk_end */
	__le32 reserved;
	/* rax rcx rdx rbx rsp rbp rsi rdi r8..r15: instruction-encoding order */
	__le64 gpr[16];
	__le64 rip;
	__le64 rflags;
	__le64 cr0, cr2, cr3, cr4, cr8;
	__le64 efer;
	__le64 apic_base;
	struct lkvm_ctl_seg seg[LKVM_CTL_NR_SEGS];
	struct lkvm_ctl_dtable gdt, idt;
	/* frames[0] is rip, then the return address of each frame, innermost first */
	__le64 frames[LKVM_CTL_MAX_FRAMES];
};

/* DEBUG response: this header, then nr_vcpus struct lkvm_ctl_vcpu. */
struct lkvm_ctl_debug {
	__le32 nr_vcpus;
	__le32 vcpu_size;	/* sizeof(struct lkvm_ctl_vcpu) of the server */
};

#endif /* _UAPI_LINUX_LKVM_H */
