/* start.S — PVH entry of the KVM test guests: from the 32-bit protected
 * mode state of the PVH boot ABI (EBX = physical address of hvm_start_info,
 * paging off, flat CS/DS, IF = 0) into 64-bit long mode, then guest_main().
 * The one thing to know: nothing the loader set up is trusted except flat
 * segments and EBX; the GDT, stack and page tables (first 4 GiB identity
 * mapped with 2 MiB pages, the last GiB — MMIO — uncached) are our own, and
 * .bss is cleared here before the stack in it is used. Application
 * processors come in through ap_trampoline (smp.c copies it below 1 MiB)
 * and share the page tables. */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define SEL_CODE32 0x08
#define SEL_DATA   0x10
#define SEL_CODE64 0x18
#define AP_MAX 15                   /* as smp.c */

/* ELF note: namesz 4 ("Xen\0"), descsz 4 (the 32-bit entry address), type 18 */
    .section .note.pvh, "a"
    .p2align 2
    .long 4
    .long 4
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .long pvh_entry32

    .section .text.entry, "ax"
    .code32
    .globl pvh_entry32
pvh_entry32:
    cli
    cld
    movl %ebx, %esi                 /* start_info, kept in esi */
    lgdt gdt_desc
    ljmp $SEL_CODE32, $1f
1:  movl $SEL_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs

    /* clear .bss (stack and page tables live there) */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    movl $stack_top, %esp

    /* PML4[0] -> PDPT; PDPT[k] -> PD k (k < 4); PD k [i] = 2 MiB page */
    movl $pdpt, %eax
    orl $0x3, %eax                  /* present, writable */
    movl %eax, pml4
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $12, %eax
    addl $pd, %eax
    orl $0x3, %eax
    movl %eax, pdpt(, %ecx, 8)
    incl %ecx
    cmpl $4, %ecx
    jne 2b
    xorl %ecx, %ecx                 /* ecx = 2 MiB page number, 0..2047 */
3:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax                 /* present, writable, page size */
    cmpl $1536, %ecx                /* 3 GiB and up: PCD | PWT (MMIO) */
    jb 4f
    orl $0x18, %eax
4:  movl %eax, pd(, %ecx, 8)      /* high dword stays 0 below 4 GiB */
    incl %ecx
    cmpl $2048, %ecx
    jne 3b

    movl %cr4, %eax
    orl $0x20, %eax                 /* CR4.PAE */
    movl %eax, %cr4
    movl $pml4, %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx          /* EFER */
    rdmsr
    orl $0x100, %eax                /* LME */
    wrmsr
    movl %cr0, %eax
    orl $0x80000001, %eax           /* PG | PE */
    movl %eax, %cr0
    ljmp $SEL_CODE64, $long_entry

    .code64
long_entry:
    movl $SEL_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs
    movq $stack_top, %rsp
    movl %esi, %edi                 /* rdi = start_info (zero-extended) */
    call guest_main
5:  hlt
    jmp 5b

/* Application processors (smp.c). ap_trampoline..ap_trampoline_end is
 * copied below 1 MiB and started by INIT-SIPI-SIPI in real mode with CS
 * base = the copy's address; it loads our GDT (through the pointer inside
 * the copy) and jumps to ap_entry32 in 32-bit protected mode. */
    .code16
    .globl ap_trampoline, ap_trampoline_end
ap_trampoline:
    cli
    movw %cs, %ax
    movw %ax, %ds
    lgdtl ap_tramp_gdtp - ap_trampoline
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $SEL_CODE32, $ap_entry32
    .p2align 2
ap_tramp_gdtp:
    .word gdt_end - gdt - 1
    .long gdt
ap_trampoline_end:

    .code32
ap_entry32:
    movl $SEL_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs
    movl %cr4, %eax
    orl $0x20, %eax                 /* PAE */
    movl %eax, %cr4
    movl $pml4, %eax                /* the BSP's page tables */
    movl %eax, %cr3
    movl $0xc0000080, %ecx
    rdmsr
    orl $0x100, %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80000001, %eax
    movl %eax, %cr0
    ljmp $SEL_CODE64, $ap_long

    .code64
ap_long:
    movl $SEL_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl $1, %edi
    lock xaddl %edi, ap_next        /* edi = this AP's index, from 0 */
    cmpl $AP_MAX, %edi
    jae 7f
    movl %edi, %eax
    incl %eax
    shll $12, %eax                  /* 4 KiB stack per AP */
    leaq ap_stacks(%rax), %rsp
    call ap_main
7:  cli
    hlt
    jmp 7b

/* bp_handler: #BP (vector 3, from int3) for the int3 check in main.c:
 * counts, and returns after the int3. */
    .globl bp_handler
bp_handler:
    lock incl bp_count(%rip)
    iretq

/* guest_triple_fault(): load an empty IDT and raise an exception; with no
 * way to deliver it (nor the double fault) the CPU shuts down. */
    .globl guest_triple_fault
guest_triple_fault:
    lidt null_idt
    ud2
    jmp guest_triple_fault

    .section .rodata
    .p2align 3
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff        /* 0x08: 32-bit code, flat */
    .quad 0x00cf92000000ffff        /* 0x10: data, flat */
    .quad 0x00af9a000000ffff        /* 0x18: 64-bit code */
gdt_end:
    .p2align 3
    .word 0
gdt_desc:
    .word gdt_end - gdt - 1
    .quad gdt
    .p2align 3
    .word 0
null_idt:
    .word 0
    .quad 0

    .section .bss
    .p2align 12
pml4:   .skip 4096
pdpt:   .skip 4096
pd:     .skip 4 * 4096
stack:  .skip 16384
stack_top:
ap_stacks: .skip 4096 * AP_MAX
    .p2align 2
    .globl ap_next
ap_next: .skip 4
    .globl bp_count
bp_count: .skip 4

    .section .note.GNU-stack, "", @progbits
