// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness of the control request parser (ctl_parse_request() in
 * tools/lkvm/control-proto.c): any bytes must give a documented status, and
 * LKVM_CTL_OK only for a request that is exactly what
 * Documentation/control.rst allows.  "make fuzz" builds it; run
 * ./fuzz_parse -max_total_time=60.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

static void check_ok(const u8 *data, size_t size, const struct ctl_request *req)
{
	struct lkvm_ctl_hdr h;

	memcpy(&h, data, sizeof(h));
	if (size != CTL_HDR_SIZE + le32toh(h.length) ||
	    le32toh(h.magic) != LKVM_CTL_MAGIC ||
	    le16toh(h.version) != LKVM_CTL_VERSION || h.status ||
	    req->command != le16toh(h.command) ||
	    req->command < LKVM_CTL_STAT || req->command > LKVM_CTL_DEBUG ||
	    req->max_frames > LKVM_CTL_MAX_FRAMES)
		abort();
	if (ctl_payload_wanted(data) != le32toh(h.length))
		abort();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct ctl_request req;
	u32 status = ctl_parse_request(data, size, &req);

	if (status > LKVM_CTL_E_INVAL)	/* the parser's statuses end there */
		abort();
	if (status == LKVM_CTL_OK)
		check_ok(data, size, &req);
	if (size >= CTL_HDR_SIZE && ctl_payload_wanted(data) > LKVM_CTL_MAX_REQ)
		abort();
	return 0;
}
