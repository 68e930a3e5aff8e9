// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "lkvm": lists instances and their counters.
 */
#include <net/genetlink.h>
#include "lkvm.h"

static struct genl_family lkvm_nl_family;

static int lkvm_nl_put_u64(struct sk_buff *skb, int attr, u64 value)
{
	return nla_put_u64_64bit(skb, attr, value, LKVM_ATTR_PAD);
}

static int lkvm_nl_fill(struct sk_buff *skb, const struct lkvm_blk_info *in,
			u32 portid, u32 seq, int flags)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &lkvm_nl_family, flags,
			  LKVM_CMD_GET_INSTANCE);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, LKVM_ATTR_ID, in->id) ||
	    nla_put_string(skb, LKVM_ATTR_TYPE, "blk") ||
	    nla_put_u32(skb, LKVM_ATTR_OWNER_PID, in->owner_pid) ||
	    nla_put_u32(skb, LKVM_ATTR_QUEUE_STATE, in->state) ||
	    nla_put_u32(skb, LKVM_ATTR_QUEUE_ERROR, in->error) ||
	    nla_put_u32(skb, LKVM_ATTR_INFLIGHT, in->inflight) ||
	    nla_put_u32(skb, LKVM_ATTR_LAST_AVAIL, in->last_avail) ||
	    lkvm_nl_put_u64(skb, LKVM_ATTR_CAPACITY, in->capacity) ||
	    lkvm_nl_put_u64(skb, LKVM_ATTR_REQUESTS, in->requests) ||
	    lkvm_nl_put_u64(skb, LKVM_ATTR_READ_BYTES, in->read_bytes) ||
	    lkvm_nl_put_u64(skb, LKVM_ATTR_WRITE_BYTES, in->write_bytes) ||
	    lkvm_nl_put_u64(skb, LKVM_ATTR_ERRORS, in->errors) ||
	    lkvm_nl_put_u64(skb, LKVM_ATTR_RING_ERRORS, in->ring_errors) ||
	    lkvm_nl_put_u64(skb, LKVM_ATTR_FLUSHES, in->flushes)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int lkvm_nl_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct lkvm_blk_info in;
	struct sk_buff *msg;
	u32 id;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, LKVM_ATTR_ID))
		return -EINVAL;
	id = nla_get_u32(info->attrs[LKVM_ATTR_ID]);
	if (lkvm_blk_info_next(id, &in) || in.id != id)
		return -ENOENT;
	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = lkvm_nl_fill(msg, &in, info->snd_portid, info->snd_seq, 0);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/* cb->args[0] is the next id to report, so a dump resumes where it stopped. */
static int lkvm_nl_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct lkvm_blk_info in;
	u32 next = cb->args[0];

	while (!lkvm_blk_info_next(next, &in)) {
		if (lkvm_nl_fill(skb, &in, NETLINK_CB(cb->skb).portid,
				 cb->nlh->nlmsg_seq, NLM_F_MULTI))
			break;
		next = in.id + 1;
		if (!next)
			break;
	}
	cb->args[0] = next;
	return skb->len;
}

static const struct nla_policy lkvm_nl_policy[LKVM_ATTR_MAX + 1] = {
	[LKVM_ATTR_ID] = { .type = NLA_U32 },
};

static const struct genl_small_ops lkvm_nl_ops[] = {
	{
		.cmd = LKVM_CMD_GET_INSTANCE,
		.doit = lkvm_nl_get_doit,
		.dumpit = lkvm_nl_get_dumpit,
	},
};

static struct genl_family lkvm_nl_family __ro_after_init = {
	.name = LKVM_GENL_NAME,
	.version = LKVM_GENL_VERSION,
	.maxattr = LKVM_ATTR_MAX,
	.policy = lkvm_nl_policy,
	.module = THIS_MODULE,
	.small_ops = lkvm_nl_ops,
	.n_small_ops = ARRAY_SIZE(lkvm_nl_ops),
	.resv_start_op = LKVM_CMD_GET_INSTANCE + 1,
};

int __init lkvm_netlink_init(void)
{
	return genl_register_family(&lkvm_nl_family);
}

void lkvm_netlink_exit(void)
{
	genl_unregister_family(&lkvm_nl_family);
}
