/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Linker script for the relocatable kernel object.
 *
 * ulk's vmlinux is not an image but a relocatable object (ld -r) later
 * linked into libulk.a and libulk.so. Everything that may hold a pointer
 * goes into one writable output section (.data), never into .rodata:
 * pointers in read-only output would become text relocations (TEXTREL) in
 * the shared library. Only compiler-generated .rodata, which -fPIC keeps
 * free of absolute addresses, stays read-only.
 */
#define RO_EXCEPTION_TABLE_ALIGN 16
#include <asm-generic/vmlinux.lds.h>
#include <asm/page.h>
#include <asm/cache.h>
#include <asm/thread_info.h>

jiffies = jiffies_64;

SECTIONS
{
	.text : {
		_text = .;
		_stext = .;
		TEXT_TEXT
		SCHED_TEXT
		LOCK_TEXT
		KPROBES_TEXT
		ENTRY_TEXT
		IRQENTRY_TEXT
		SOFTIRQENTRY_TEXT
		*(.fixup)
		_etext = .;
		. = ALIGN(PAGE_SIZE);
		_sinittext = .;
		INIT_TEXT
		_einittext = .;
		EXIT_TEXT
	}

	.rodata : {
		*(.rodata) *(.rodata.*) *(.rodata1)
	}

	.data : {
		_sdata = .;
		__start_rodata = .;
		*(.data.rel.ro*)
		SCHED_DATA
		RO_AFTER_INIT_DATA
		. = ALIGN(8);
		BOUNDED_SECTION_BY(__tracepoints_ptrs, ___tracepoints_ptrs)
		*(__tracepoints_strings)
		FW_LOADER_BUILT_IN_DATA
		TRACEDATA
		PRINTK_INDEX
		*(.ref.rodata)
		BOUNDED_SECTION_BY(__param, ___param)
		BOUNDED_SECTION_BY(__modver, ___modver)
		__start_notes = .;
		KEEP(*(.note.Linux))
		__stop_notes = .;
		. = ALIGN(16);
		BOUNDED_SECTION_BY(__ex_table, ___ex_table)
		. = ALIGN(PAGE_SIZE);
		__end_rodata = .;

		INIT_TASK_DATA(THREAD_SIZE)
		NOSAVE_DATA
		PAGE_ALIGNED_DATA(PAGE_SIZE)
		CACHELINE_ALIGNED_DATA(L1_CACHE_BYTES)
		READ_MOSTLY_DATA(L1_CACHE_BYTES)
		DATA_DATA
		CONSTRUCTORS
		. = ALIGN(8);
		BOUNDED_SECTION_BY(__bug_table, ___bug_table)
		_edata = .;

		. = ALIGN(PAGE_SIZE);
		__init_begin = .;
		INIT_DATA
		INIT_SETUP(16)
		INIT_CALLS
		CON_INITCALL
		INIT_RAM_FS
		EXIT_DATA
		. = ALIGN(PAGE_SIZE);
		__per_cpu_load = .;
		PERCPU_INPUT(L1_CACHE_BYTES)
		. = ALIGN(PAGE_SIZE);
		__init_end = .;
	}

	.bss : {
		__bss_start = .;
		*(.bss..page_aligned)
		*(.dynbss)
		*(BSS_MAIN)
		*(COMMON)
		__bss_stop = .;
		_end = .;
	}

	STABS_DEBUG
	DWARF_DEBUG
	.comment 0 : { *(.comment) }

	DISCARDS
}
