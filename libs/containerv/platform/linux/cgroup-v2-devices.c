/*
 * cgroup v2 has no devices controller: device access is decided by an eBPF
 * program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup. We
 * build it from the allow-list, one block per rule: a rule that matches
 * the device's type, major, minor and the requested access returns 1
 * (allow); when none matches the program returns 0 (deny). The cgroup
 * holds the program while it exists, so the descriptor is closed at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/cgroup-internal.h"

#define MAX_INSTRUCTIONS 512

struct program {
	struct bpf_insn code[MAX_INSTRUCTIONS];
	size_t length;
	bool overflow;
};

static void emit(struct program *p, struct bpf_insn instruction)
{
	if (p->length == MAX_INSTRUCTIONS) {
		p->overflow = true;
		return;
	}
	p->code[p->length++] = instruction;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

/* A conditional jump to the end of the current block (patched when the block ends). */
static void emit_skip_unless_equal(struct program *p, int reg, int32_t value)
{
	emit(p, INSN(BPF_JMP | BPF_JNE | BPF_K, (uint8_t)reg, 0, 0, value));
}

static void emit_rule(struct program *p, const struct cv_device_rule *rule)
{
	size_t start = p->length;
	int32_t access = 0;

	for (const char *a = rule->access; *a; a++)
		access |= *a == 'm'   ? BPF_DEVCG_ACC_MKNOD
		          : *a == 'r' ? BPF_DEVCG_ACC_READ
		          : *a == 'w' ? BPF_DEVCG_ACC_WRITE
		                      : 0;
	if (rule->type != 'a')
		emit_skip_unless_equal(p, BPF_REG_2, rule->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
	if (access != (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)) {
		/* r1 = requested & ~allowed; any bit left means this rule does not grant it. */
		emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
		emit(p, INSN(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_1, 0, 0, ~access));
		emit_skip_unless_equal(p, BPF_REG_1, 0);
	}
	if (rule->major >= 0)
		emit_skip_unless_equal(p, BPF_REG_4, rule->major);
	if (rule->minor >= 0)
		emit_skip_unless_equal(p, BPF_REG_5, rule->minor);
	emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1));
	emit(p, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	/* Every jump of the block goes just past its exit. */
	for (size_t i = start; i < p->length && !p->overflow; i++)
		if (BPF_CLASS(p->code[i].code) == BPF_JMP && BPF_OP(p->code[i].code) == BPF_JNE)
			p->code[i].off = (int16_t)(p->length - i - 1);
}

static void build(struct program *p, const struct cv_device_rule *rules, size_t count)
{
	/* struct bpf_cgroup_dev_ctx: access_type = (access << 16) | type, major, minor. */
	emit(p, INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0));
	emit(p, INSN(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff));
	emit(p, INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, 0, 0));
	emit(p, INSN(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
	emit(p, INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0));
	emit(p, INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0));
	for (size_t i = 0; i < count; i++)
		emit_rule(p, &rules[i]);
	emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
	emit(p, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

static int load(const struct program *program, char *log, size_t log_size)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof attr);
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)program->code;
	attr.insn_cnt = (uint32_t)program->length;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	if (log != NULL) {
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = (uint32_t)log_size;
		attr.log_level = 1;
	}
	return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
}

int cv_cgroup_v2_attach_devices(int cgroup_fd, const struct cv_device_rule *rules, size_t count)
{
	struct program program; /* 4 KiB */
	char log[1024] = "";
	union bpf_attr attr;
	int program_fd, ret = 0;

	memset(&program, 0, sizeof program);
	build(&program, rules, count);
	if (program.overflow)
		return cv_error_errno(E2BIG, "too many device rules");
	program_fd = load(&program, NULL, 0);
	if (program_fd < 0) {
		/* Again with the verifier's log, for the reason (a log on every load would cost and could overflow). */
		int saved = errno;
		if (load(&program, log, sizeof log) >= 0 || log[0] == '\0')
			log[0] = '\0';
		errno = saved;
		/* The verifier says why in its second-to-last line. */
		size_t length = strlen(log);
		while (length > 0 && log[length - 1] == '\n')
			log[--length] = '\0';
		char *last = strrchr(log, '\n');
		if (last != NULL) {
			*last = '\0';
			char *before = strrchr(log, '\n');
			last = before ? before : log - 1;
		}
		return cv_error_sys("load the device program%s%.200s", log[0] ? ": " : "", last ? last + 1 : log);
	}
	memset(&attr, 0, sizeof attr);
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)program_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof attr) < 0)
		ret = cv_error_sys("attach the device program");
	close(program_fd);
	return ret;
}
