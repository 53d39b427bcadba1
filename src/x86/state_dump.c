#include "x86/state_dump.h"

static const char *const gpr_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const seg_names[8] = { "es", "cs", "ss", "ds", "fs", "gs", "ldt", "tr" };

void x86_state_dump(const struct x86_state *s, FILE *f)
{
    for (int i = 0; i < 16; i += 2)
        fprintf(f, "  %-3s=%016llx  %-3s=%016llx\r\n", gpr_names[i],
                (unsigned long long)s->gpr[i], gpr_names[i + 1], (unsigned long long)s->gpr[i + 1]);
    fprintf(f, "  rip=%016llx  rflags=%08llx\r\n", (unsigned long long)s->rip,
            (unsigned long long)s->rflags);
    for (int i = 0; i < 8; i++)
        fprintf(f, "  %-3s sel=%04x base=%016llx limit=%08x attr=%05x\r\n", seg_names[i],
                s->seg[i].sel, (unsigned long long)s->seg[i].base, s->seg[i].limit, s->seg[i].attr);
    fprintf(f, "  gdt=%016llx/%04x idt=%016llx/%04x\r\n", (unsigned long long)s->gdt.base,
            s->gdt.limit, (unsigned long long)s->idt.base, s->idt.limit);
    fprintf(f, "  cr0=%08llx cr2=%016llx cr3=%016llx cr4=%08llx efer=%llx\r\n",
            (unsigned long long)s->cr0, (unsigned long long)s->cr2, (unsigned long long)s->cr3,
            (unsigned long long)s->cr4, (unsigned long long)s->efer);
}
