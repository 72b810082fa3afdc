/* rwd_sb_entry: where a patched libc syscall site's stub calls in, with the
 * syscall number in rax and its arguments in rdi, rsi, rdx, r10, r8, r9, as
 * at the syscall instruction it replaced. The stub has moved rsp below the
 * red zone. Returns the result in rax and preserves every other register
 * but rcx and r11, as the syscall instruction does.
 *
 * rwd_sb_handle runs on the stack at the end of the thread's buffer (see
 * RWD_SB_STACK_SIZE) and says whether it handled the call. If not, the call
 * is made here, on the program's stack, by the `syscall` below: the tracer
 * sees it, and a signal delivered there gets an ordinary frame. rcx and r11
 * are zeroed after the handler either way, so that every register is the
 * same in record and replay, whose paths through the handler differ: from
 * the traced `syscall` on, a point here can be fingerprinted. *
 * Its unwind information skips the stub: the caller it names is the libc
 * function of the patched site, at the instruction after the site, with
 * that function's stack pointer (the stub's rsp + 128). A debugger stopped
 * here (a watchpoint hit by a traced call, the end of a recording) shows
 * the program's frames as at a syscall that was not patched. Every stub,
 * and rwd_sb_entry_direct below, is laid out alike after its call
 * (patch.c): 8 bytes `lea rsp, [rsp + 128]`, 6 bytes of nops and the
 * site's `cmp`, then `jmp rel32` to the instruction after the site. */

/* DWARF: the caller's pc from the stub's return address at [base + off]:
 * ret + 19 + sign-extended rel32 at ret + 15. */
#define RESUME_PC_AT(breg, off)                                                              \
        .cfi_escape 0x16, 0x10, 23, breg, off, 0x06, 0x12, 0x23, 0x0f, 0x94, 0x04, 0x0c, 0x00, \
            0x00, 0x00, 0x80, 0x27, 0x0c, 0x00, 0x00, 0x00, 0x80, 0x1c, 0x22, 0x23, 0x13
#include "preload/syscallbuf_abi.h"
#include "preload/thread_table.h"

#define DW_OP_BREG_RSP 0x77
#define DW_OP_BREG_RBP 0x76
        .section rwd_sb_hot,"ax",@progbits
        .globl  rwd_sb_entry
        .hidden rwd_sb_entry
        .type   rwd_sb_entry, @function
rwd_sb_entry:
        .cfi_startproc
        .cfi_def_cfa %rsp, 136
        RESUME_PC_AT(DW_OP_BREG_RSP, 0)
        push    %rbp
        .cfi_def_cfa_offset 144
        .cfi_offset %rbp, -144
        RESUME_PC_AT(DW_OP_BREG_RSP, 8)
        mov     %rsp, %rbp
        .cfi_def_cfa_register %rbp
        RESUME_PC_AT(DW_OP_BREG_RBP, 8)
        push    %rdi
        push    %rsi
        push    %rdx
        push    %r10
        push    %r8
        push    %r9
        push    %rax
        /* The calling thread's header (thread_table.h): looking it up
         * takes the same path in record and replay, so it runs on the
         * program's stack, and clobbers only what is saved above. */
        and     $-16, %rsp
        call    rwd_sb_lookup
        mov     %rax, %r11
        mov     -56(%rbp), %rax
        mov     -8(%rbp), %rdi
        mov     -16(%rbp), %rsi
        mov     -24(%rbp), %rdx
        mov     -32(%rbp), %r10
        mov     -40(%rbp), %r8
        mov     -48(%rbp), %r9
        /* A thread without a buffer (yet) leaves the handler on this stack. */
        cmp     $RWD_SB_THREAD_UNBUFFERED, %r11
        jbe     1f
        lea     0x40000(%r11), %rsp     /* RWD_SB_BUFFER_SIZE: its stack's top */
        jmp     2f
1:      lea     -56(%rbp), %rsp
        and     $-16, %rsp
2:      sub     $64, %rsp
        mov     %rax, 0(%rsp)
        mov     %rdi, 8(%rsp)
        mov     %rsi, 16(%rsp)
        mov     %rdx, 24(%rsp)
        mov     %r10, 32(%rsp)
        mov     %r8, 40(%rsp)
        mov     %r9, 48(%rsp)
        mov     %rsp, %rdi
        mov     %r11, %rsi
        call    rwd_sb_handle
        test    %eax, %eax
        jnz     3f
        mov     0(%rsp), %rax
        lea     -48(%rbp), %rsp
        pop     %r9
        pop     %r8
        pop     %r10
        pop     %rdx
        pop     %rsi
        pop     %rdi
        /* The handler's leftovers differ between record and replay. */
        xor     %ecx, %ecx
        xor     %r11d, %r11d
        .globl  rwd_sb_traced_syscall
        .hidden rwd_sb_traced_syscall
rwd_sb_traced_syscall:
        syscall
        /* The replayer may have answered it from a batch (a debugger
         * catching syscalls), where the recording left these zeroed. */
        xor     %ecx, %ecx
        xor     %r11d, %r11d
        pop     %rbp
        .cfi_remember_state
        .cfi_def_cfa %rsp, 136
        .cfi_restore %rbp
        RESUME_PC_AT(DW_OP_BREG_RSP, 0)
        ret
        .cfi_restore_state
3:      mov     56(%rsp), %rax
        lea     -48(%rbp), %rsp
        pop     %r9
        pop     %r8
        pop     %r10
        pop     %rdx
        pop     %rsi
        pop     %rdi
        xor     %ecx, %ecx
        xor     %r11d, %r11d
        pop     %rbp
        .cfi_def_cfa %rsp, 136
        .cfi_restore %rbp
        RESUME_PC_AT(DW_OP_BREG_RSP, 0)
        ret
        .cfi_endproc
        .size   rwd_sb_entry, .-rwd_sb_entry

/* rwd_sb_entry for the library's own C callers (rwd_sb_call_entry), laid
 * out as a stub after its call so that rwd_sb_entry's unwind information
 * holds for it too. */
        .globl  rwd_sb_entry_direct
        .hidden rwd_sb_entry_direct
        .type   rwd_sb_entry_direct, @function
rwd_sb_entry_direct:
        .cfi_startproc
        lea     -128(%rsp), %rsp
        .cfi_adjust_cfa_offset 128
        call    rwd_sb_entry
        .byte   0x48, 0x8d, 0xa4, 0x24, 0x80, 0, 0, 0   /* lea rsp, [rsp + 128] */
        .cfi_adjust_cfa_offset -128
        .byte   0x0f, 0x1f, 0x44, 0, 0, 0x90            /* 6 bytes of nops */
        .byte   0xe9                                    /* jmp rel32 */
        .long   1f - (. + 4)
1:      ret
        .cfi_endproc
        .size   rwd_sb_entry_direct, .-rwd_sb_entry_direct
        .section .note.GNU-stack,"",@progbits
