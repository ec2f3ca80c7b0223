// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <Zydis/Zydis.h>

#include "host/seamcall.h"
#include "stub_module.h"

struct guest_cpu stub_guest_cpu;
struct vm_exit stub_last;
uint64_t stub_last_rip;
enum stub_policy stub_policy;
int stub_nr_events;
struct td_window *stub_win;
bool (*stub_guest_hook)(struct cpu_regs *ctx, const struct vm_exit *exit);

static void stub_seamcall(struct cpu_regs *ctx, unsigned int len)
{
	uint64_t leaf = ctx->gpr[REG_RAX_];

	ctx->rip += len;
	ctx->rflags &= ~(uint64_t)X86_EFLAGS_ARITH;
	if (leaf == 0) { /* "VP.ENTER" */
		lp_world_enter(ctx, &stub_guest_cpu);
		return;
	}
	/* "echo": every output register gets a value derived from its number and input. */
	for (int r = 0; r < 16; r++)
		if (r != REG_RAX_ && r != REG_RSP_ && r != REG_RBP_)
			ctx->gpr[r] = ~ctx->gpr[r] + (uint64_t)r;
	ctx->gpr[REG_RAX_] = 0;
}

/* An EPT violation reports no instruction length: the stub skips the access as a VMM that
 * emulates it would, by decoding the instruction. */
static unsigned int access_len(uint64_t rip)
{
	ZydisDecoder d;
	ZydisDecodedInstruction in;

	ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	if (ZYAN_FAILED(
		    ZydisDecoderDecodeInstruction(&d, NULL, (const void *)(uintptr_t)rip, 15, &in)))
		return 0;
	return in.length;
}

static void stub_vm_exit(struct cpu_regs *ctx, const struct vm_exit *exit)
{
	stub_last = *exit;
	stub_last_rip = ctx->rip;
	stub_nr_events++;
	if (stub_guest_hook && stub_guest_hook(ctx, exit))
		return;
	if (stub_policy == STUB_VE_ON_HLT && exit->reason == EXIT_REASON_HLT) {
		ctx->rip += exit->insn_len;
		if (guest_deliver(ctx, &stub_guest_cpu, 20, false, 0) == 0)
			return;
	}
	if (stub_policy == STUB_TDCALL_IN_PLACE && exit->reason == EXIT_REASON_TDCALL &&
	    ctx->gpr[REG_RAX_] == 0) {
		ctx->rip += exit->insn_len;
		return;
	}
	ctx->rip +=
		exit->reason == EXIT_REASON_EPT_VIOLATION ? access_len(ctx->rip) : exit->insn_len;
	lp_world_exit(ctx);
	ctx->gpr[REG_RAX_] = exit->reason;
}

static const struct platform_hooks stub_hooks = {
	.seamcall = stub_seamcall,
	.vm_exit = stub_vm_exit,
};

int stub_boot(unsigned int timer_hz, bool seamrr)
{
	struct machine_config cfg;

	if (machine_preset("tiny", &cfg))
		return -1;
	cfg.timer_hz = timer_hz;
	cfg.seamrr_enabled = seamrr;
	return stub_boot_cfg(&cfg);
}

int stub_boot_cfg(const struct machine_config *cfg)
{
	if (platform_boot(cfg))
		return -1;
	platform_set_hooks(&stub_hooks);
	stub_win = td_window_create(48);
	if (!stub_win)
		goto err;
	if (td_window_map(stub_win, STUB_GPA_CODE, false, STUB_HPA_CODE,
			  PROT_READ | PROT_WRITE | PROT_EXEC) ||
	    td_window_map(stub_win, STUB_GPA_STACK, false, STUB_HPA_STACK, PROT_READ | PROT_WRITE))
		goto err_win;
	memset(&stub_guest_cpu, 0, sizeof(stub_guest_cpu));
	stub_guest_cpu.window = stub_win;
	stub_guest_cpu.xstate = aligned_alloc(64, platform_xstate_size());
	if (!stub_guest_cpu.xstate)
		goto err_win;
	xstate_reset(stub_guest_cpu.xstate);
	stub_policy = STUB_EXIT_ON_EVERYTHING;
	stub_nr_events = 0;
	stub_guest_hook = NULL;
	return 0;
err_win:
	td_window_destroy(stub_win);
	stub_win = NULL;
err:
	platform_shutdown();
	return -1;
}

void stub_shutdown(void)
{
	free(stub_guest_cpu.xstate);
	stub_guest_cpu.xstate = NULL;
	td_window_destroy(stub_win);
	stub_win = NULL;
	platform_shutdown();
}

int stub_setup(void **state)
{
	(void)state;
	return stub_boot(0, true);
}

int stub_teardown(void **state)
{
	(void)state;
	stub_shutdown();
	return 0;
}

uint8_t *stub_load_blob(const char *start, const char *end)
{
	uint8_t *code = td_window_va(stub_win, STUB_GPA_CODE, false);

	memcpy(code, start, (size_t)(end - start));
	return code;
}

void stub_guest_start(const uint8_t *rip)
{
	memset(&stub_guest_cpu.regs, 0, sizeof(stub_guest_cpu.regs));
	stub_guest_cpu.regs.rip = (uint64_t)(uintptr_t)rip;
	stub_guest_cpu.regs.gpr[REG_RSP_] =
		(uint64_t)(uintptr_t)td_window_va(stub_win, STUB_GPA_STACK, false) + PAGE_SIZE - 64;
	stub_guest_cpu.regs.rflags = 0x2;
}

uint64_t stub_enter(bool gate)
{
	struct tdx_module_args args = {0};

	return gate ? __seamcall_gate(0, &args) : __seamcall_insn(0, &args);
}
