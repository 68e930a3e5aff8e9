// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's request parser (control-proto.c), which lkvm run
 * applies to whatever a local client sends.  Beyond memory safety it checks
 * the contract of control.h: a status the protocol defines, LKVM_CTL_OK
 * only for a request that Documentation/control.rst allows (rebuilt here
 * with ctl_fill_hdr() and compared byte for byte), and a payload size the
 * server may read without exceeding LKVM_CTL_MAX_REQ.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

static void check_accepted(const u8 *data, size_t size,
			   const struct ctl_request *req)
{
	struct lkvm_ctl_hdr h;
	size_t payload = size - CTL_HDR_SIZE;

	ctl_fill_hdr(&h, req->command, LKVM_CTL_OK, payload);
	if (memcmp(&h, data, CTL_HDR_SIZE))
		abort();
	if (req->command == LKVM_CTL_DEBUG) {
		struct lkvm_ctl_debug_req d;

		if (payload != sizeof(d))
			abort();
		memcpy(&d, data + CTL_HDR_SIZE, sizeof(d));
		if (le32toh(d.max_frames) != req->max_frames ||
		    req->max_frames > LKVM_CTL_MAX_FRAMES)
			abort();
	} else if (payload || req->command < LKVM_CTL_STAT ||
		   req->command > LKVM_CTL_RESUME) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request req;
	u8 *copy = malloc(size ? size : 1);
	u32 status;

	/* An exact-size copy: ASan sees any read past what the client sent. */
	memcpy(copy, data, size);
	status = ctl_parse_request(copy, size, &req);
	if (status > LKVM_CTL_E_INVAL || !strcmp(ctl_status_str(status),
						 "unknown error"))
		abort();
	if (status == LKVM_CTL_OK)
		check_accepted(copy, size, &req);
	if (size >= CTL_HDR_SIZE && ctl_payload_wanted(copy) > LKVM_CTL_MAX_REQ)
		abort();
	free(copy);
	return 0;
}
