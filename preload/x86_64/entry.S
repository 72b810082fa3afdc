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
 * the traced `syscall` on, a point here can be fingerprinted. */
        .section rwd_sb_hot,"ax",@progbits
        .globl  rwd_sb_entry
        .hidden rwd_sb_entry
        .type   rwd_sb_entry, @function
rwd_sb_entry:
        .cfi_startproc
        push    %rbp
        .cfi_def_cfa_offset 16
        .cfi_offset %rbp, -16
        mov     %rsp, %rbp
        .cfi_def_cfa_register %rbp
        push    %rdi
        push    %rsi
        push    %rdx
        push    %r10
        push    %r8
        push    %r9
        movq    rwd_sb_tls_buffer@gottpoff(%rip), %r11
        movq    %fs:(%r11), %r11
        test    %r11, %r11
        jz      1f
        lea     0x40000(%r11), %rsp     /* RWD_SB_BUFFER_SIZE: its stack's top */
        jmp     2f
1:      and     $-16, %rsp
2:      sub     $64, %rsp
        mov     %rax, 0(%rsp)
        mov     %rdi, 8(%rsp)
        mov     %rsi, 16(%rsp)
        mov     %rdx, 24(%rsp)
        mov     %r10, 32(%rsp)
        mov     %r8, 40(%rsp)
        mov     %r9, 48(%rsp)
        mov     %rsp, %rdi
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
        pop     %rbp
        .cfi_remember_state
        .cfi_def_cfa %rsp, 8
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
        .cfi_def_cfa %rsp, 8
        ret
        .cfi_endproc
        .size   rwd_sb_entry, .-rwd_sb_entry
        .section .note.GNU-stack,"",@progbits
