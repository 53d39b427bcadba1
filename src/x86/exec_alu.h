/* Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP TEST, NOT NEG
 * INC DEC, ADCX ADOX (SDM Vol. 2, each instruction's page). */
#ifndef VMON_X86_EXEC_ALU_H
#define VMON_X86_EXEC_ALU_H

#include "x86/exec_table.h"

#define X86_EXEC_ALU_OPS(H)                                                      \
    H(ADD, x86_exec_add) H(OR, x86_exec_or) H(ADC, x86_exec_adc)                 \
    H(SBB, x86_exec_sbb) H(AND, x86_exec_and) H(SUB, x86_exec_sub)               \
    H(XOR, x86_exec_xor) H(CMP, x86_exec_cmp) H(TEST, x86_exec_test)             \
    H(NOT, x86_exec_not) H(NEG, x86_exec_neg) H(INC, x86_exec_inc)               \
    H(DEC, x86_exec_dec) H(ADCX, x86_exec_adcx) H(ADOX, x86_exec_adox)

X86_EXEC_ALU_OPS(X86_EXEC_DECLARE)

#endif
