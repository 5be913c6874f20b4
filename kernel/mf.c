// SPDX-License-Identifier: GPL-2.0-only
/*
 * mf.c - early kill on a memory failure: the processes mapping a poisoned page of a daxfs file
 * are told before they touch it, as mm/memory-failure.c does for the page cache and for fsdax
 * pages of XFS (collect_procs_file/collect_procs_fsdax, task_early_kill, kill_procs).
 *
 * The kernel's own walk (mf_dax_kill_procs) finds an fsdax page through the DAX entries
 * fs/dax.c keeps in the file's page cache, which daxfs's fault handler never creates, so
 * holder.c calls this instead, for each file whose pages it is about to unmap:
 *
 * 1. daxfs_mf_collect(), before the unmap: every vma of the file over the poisoned pages
 *    (the file's i_mmap, under i_mmap_lock_read; walked in order of the vmas' first page, as
 *    vma_interval_tree_foreach would, which modules cannot call), and in each, whether the
 *    page tables really map the poisoned frame at that address (a PTE of that pfn, or a PMD
 *    covering it; checked under the page-table lock, as an rmap walk does: daxfs_mf_mapped()
 *    says why its page tables can be walked). A private mapping whose page was copied on write
 *    maps an anonymous page there, not the frame: not taken, that memory is fine; nor is a vma
 *    that never faulted the page in. Each vma's first hit (its lowest address) is kept as
 *    (mm, address, size) with a reference on the mm (mmgrab), so that the pointer stays that
 *    mm's until the end.
 * 2. daxfs_mf_kill(), after the unmap: the hits sorted by mm, one kept per mm (its lowest
 *    address). When the failure is "action required" for the caller (MF_ACTION_REQUIRED: a
 *    machine check in its own access, or MADV_HWPOISON from 6.10) and the caller's mm is among
 *    the hits, the caller gets SIGBUS BUS_MCEERR_AR at once, whatever its policy, as
 *    kill_proc() sends it (force_sig_mceerr() is not exported: send_sig_mceerr() to current),
 *    and no other process sharing its mm is signalled (task_early_kill() picks current for
 *    them). Without that flag (6.1's MADV_HWPOISON, an asynchronous report) the caller is one
 *    more process. Then one pass over the processes (for_each_process under RCU; kernel
 *    threads skipped): a process's mm (that of its first thread that has one: the leader's is
 *    gone when it exited before the others) is looked up among the hits (binary search, or the
 *    list when there was no memory to sort it); only then its policy, which is per thread, as
 *    find_early_kill_thread() reads it: the first thread that asked for early kill (prctl
 *    PR_MCE_KILL_EARLY, which sets PF_MCE_PROCESS | PF_MCE_EARLY) or, when the module
 *    parameter memory_failure_early_kill is 1 (the mirror of vm.memory_failure_early_kill,
 *    which the kernel does not export), the first with no policy of its own; a thread that
 *    opted out (PR_MCE_KILL_LATE) is never chosen, so a process is passed over only when none
 *    of its threads qualifies (with the parameter 1, a process with one thread late and another
 *    with no policy is signalled, at the latter). That thread, if it still has that mm, gets one
 *    SIGBUS, BUS_MCEERR_AO, si_addr the page's address in the process and si_addr_lsb
 *    PAGE_SHIFT or PMD_SHIFT, sent with send_sig_mceerr() (not forced: it may be blocked for a
 *    while, as the kernel sends it) from the RCU section: sending a signal does not sleep, and
 *    nothing is allocated there.
 *
 * Each signal is logged (rate-limited, after the RCU section); holder.c's line for the failure
 * gives the count (the signals sent, one per process at most) and the mappings that could not
 * be recorded for want of memory, if any.
 */
#define pr_fmt(fmt) "daxfs: " fmt

#include <linux/bsearch.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pgtable.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include "daxfs.h"

/*
 * daxfs_mf_mapped() maps a user PTE table with pte_offset_kernel(), which is what
 * __pte_offset_map() does only where PTE tables are never in high memory.
 */
#ifdef CONFIG_HIGHPTE
#error "daxfs: the early kill (mf.c) cannot read PTE tables with CONFIG_HIGHPTE"
#endif

static bool daxfs_mf_early_kill;
module_param_named(memory_failure_early_kill, daxfs_mf_early_kill, bool, 0644);
MODULE_PARM_DESC(memory_failure_early_kill,
		 "on a memory failure in a mounted fsdax image, send SIGBUS (BUS_MCEERR_AO) at once to every process mapping the page, not only those that asked for it with prctl(PR_MCE_KILL_EARLY) (as the vm.memory_failure_early_kill sysctl); a thread that opted out with PR_MCE_KILL_LATE is still never the one signalled");

/* One mapping of a poisoned page: (mm, address), the mm grabbed. */
struct daxfs_mf_map {
	struct list_head node;
	struct mm_struct *mm;
	unsigned long addr;
	unsigned long pfn;
	short shift;		/* si_addr_lsb: PAGE_SHIFT or PMD_SHIFT */
	/*
	 * For the log, written by daxfs_mf_kill() in its RCU section and printed after it: the
	 * processes of this mm signalled (tries), and the first one's signal.
	 */
	unsigned int tries;
	int code, err;
	pid_t pid;
	char comm[TASK_COMM_LEN];
};

/* The i_mmap walk lets others run every this many vmas (it may sleep under the rwsem). */
#define DAXFS_MF_RESCHED 64

void daxfs_mf_init(struct daxfs_mf *mf)
{
	INIT_LIST_HEAD(&mf->maps);
	mf->lost = 0;
}

/*
 * Whether the page tables of vma's mm map frame pfn at addr: PAGE_SHIFT for a PTE of it,
 * PMD_SHIFT for a PMD covering it, 0 if neither (nothing there, or another page: a private
 * mapping's copy). daxfs never maps a PUD.
 *
 * Why the tables can be read: the caller holds the file's i_mmap_rwsem and found vma in
 * i_mmap. free_pgtables() unlinks a vma from i_mmap (unlink_file_vma, under the rwsem for
 * writing) before it frees the vma's page tables, so the upper levels (PGD to the PMD table)
 * stay while the rwsem is held. A PTE table does not: from 6.5 the kernel frees PTE tables
 * under a live vma, through RCU (khugepaged's retract_page_tables() under i_mmap_lock_read,
 * and from 6.14 CONFIG_PT_RECLAIM: MADV_DONTNEED of a PMD's worth under mmap_lock read, which
 * VM_MIXEDMAP vmas allow). So, as __pte_offset_map() does (not exported), the RCU section
 * starts before the PMD is read, the PMD is read once (pmdp_get_lockless) and that value is
 * checked (none, not present, a leaf, bad) and used for the PTE table and its lock, and the
 * PMD is checked unchanged under that lock before the PTE is read. A PMD leaf is read again
 * under pmd_lock(), as an rmap walk does.
 */
static short daxfs_mf_mapped(struct vm_area_struct *vma, unsigned long addr, unsigned long pfn)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t *pmdp, pmd;
	spinlock_t *ptl;
	short shift = 0;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pte_t *pte;

	pgd = pgd_offset(mm, addr);
	if (!pgd_present(READ_ONCE(*pgd)))
		return 0;
	p4d = p4d_offset(pgd, addr);
	if (!p4d_present(READ_ONCE(*p4d)))
		return 0;
	pud = pud_offset(p4d, addr);
	if (!pud_present(READ_ONCE(*pud)) || pud_leaf(READ_ONCE(*pud)))
		return 0;
	pmdp = pmd_offset(pud, addr);

	rcu_read_lock();
	pmd = pmdp_get_lockless(pmdp);
	if (pmd_none(pmd) || !pmd_present(pmd))
		goto out;
	/* A PMD leaf: a huge page (transparent, devmap or special), never a PTE table. */
	if (pmd_leaf(pmd)) {
		/*
		 * A PMD split or zapped meanwhile is not one any more; the page cannot be mapped
		 * again (it is a bad block now: holder.c), so nothing is left to find.
		 */
		ptl = pmd_lock(mm, pmdp);
		pmd = *pmdp;
		if (pmd_present(pmd) && pmd_leaf(pmd) &&
		    pmd_pfn(pmd) + ((addr & ~PMD_MASK) >> PAGE_SHIFT) == pfn)
			shift = PMD_SHIFT;
		spin_unlock(ptl);
		goto out;
	}
	if (pmd_bad(pmd))
		goto out;
	pte = pte_offset_kernel(&pmd, addr);
	ptl = pte_lockptr(mm, &pmd);
	spin_lock(ptl);
	/* The table is still this PMD's (not freed, nor replaced) under its lock. */
	if (pmd_same(pmd, pmdp_get_lockless(pmdp))) {
		pte_t entry = ptep_get(pte);

		if (pte_present(entry) && pte_pfn(entry) == pfn)
			shift = PAGE_SHIFT;
	}
	spin_unlock(ptl);
out:
	rcu_read_unlock();
	return shift;
}

/*
 * Collect the mappings of pages [first, last] of mapping (whose frames are pfn_first on,
 * contiguous), before they are unmapped. i_mmap's tree is ordered by the vmas' first page:
 * the walk stops at the first vma starting after last. In a vma, addresses rise with the page
 * offset and a process is told only its lowest address, so its first hit is all that is kept.
 * Entries are allocated as add_to_kill() allocates them under the same lock (GFP_ATOMIC: no
 * sleeping under the rwsem, which reclaim may want); one that cannot be is counted as lost.
 */
void daxfs_mf_collect(struct daxfs_mf *mf, struct address_space *mapping, pgoff_t first,
		      pgoff_t last, unsigned long pfn_first)
{
	struct vm_area_struct *vma;
	unsigned int seen = 0;
	struct rb_node *rb;

	if (!mapping_mapped(mapping))
		return;
	i_mmap_lock_read(mapping);
	for (rb = rb_first_cached(&mapping->i_mmap); rb; rb = rb_next(rb)) {
		pgoff_t start, end, pgoff;

		if (++seen % DAXFS_MF_RESCHED == 0)
			cond_resched();
		vma = rb_entry(rb, struct vm_area_struct, shared.rb);
		if (vma->vm_pgoff > last)
			break;
		start = max(first, vma->vm_pgoff);
		end = min(last, vma->vm_pgoff + vma_pages(vma) - 1);
		for (pgoff = start; pgoff <= end; pgoff++) {
			unsigned long addr = vma->vm_start +
					     ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
			unsigned long pfn = pfn_first + (pgoff - first);
			struct daxfs_mf_map *m;
			short shift;

			shift = daxfs_mf_mapped(vma, addr, pfn);
			if (!shift)
				continue;
			m = kzalloc(sizeof(*m), GFP_ATOMIC | __GFP_NOWARN);
			if (!m) {
				mf->lost++;
				break;
			}
			mmgrab(vma->vm_mm);
			m->mm = vma->vm_mm;
			m->addr = addr;
			m->pfn = pfn;
			m->shift = shift;
			list_add_tail(&m->node, &mf->maps);
			break;
		}
	}
	i_mmap_unlock_read(mapping);
}

/*
 * The thread of process tsk to signal early, or NULL: as find_early_kill_thread() in
 * mm/memory-failure.c, the first thread with an early policy of its own, or with none when
 * every process is to be signalled (all); a thread with a late policy of its own is never
 * chosen. Threads on their way out and io_uring workers are passed over.
 */
static struct task_struct *daxfs_mf_early_thread(struct task_struct *tsk, bool all)
{
	struct task_struct *t;

	for_each_thread(tsk, t) {
		unsigned int flags = READ_ONCE(t->flags);

		if (flags & (PF_EXITING | PF_IO_WORKER))
			continue;
		if (flags & PF_MCE_PROCESS) {
			if (flags & PF_MCE_EARLY)
				return t;
		} else if (all) {
			return t;
		}
	}
	return NULL;
}

/* The hits in order of mm, then address (sort()). */
static int daxfs_mf_cmp(const void *a, const void *b)
{
	const struct daxfs_mf_map *x = *(struct daxfs_mf_map *const *)a;
	const struct daxfs_mf_map *y = *(struct daxfs_mf_map *const *)b;

	if (x->mm != y->mm)
		return (unsigned long)x->mm < (unsigned long)y->mm ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

/* An mm among the hits (bsearch()). */
static int daxfs_mf_find(const void *key, const void *elt)
{
	const struct daxfs_mf_map *m = *(struct daxfs_mf_map *const *)elt;

	if (key == m->mm)
		return 0;
	return (unsigned long)key < (unsigned long)m->mm ? -1 : 1;
}

/*
 * mm's hit at its lowest address, or NULL: in v (nmm hits sorted by mm, one per mm), or when
 * there was no memory for v, in the list.
 */
static struct daxfs_mf_map *daxfs_mf_lookup(struct daxfs_mf *mf, struct daxfs_mf_map **v,
					    unsigned int nmm, struct mm_struct *mm)
{
	struct daxfs_mf_map **hit, *m, *best = NULL;

	if (v) {
		hit = bsearch(mm, v, nmm, sizeof(*v), daxfs_mf_find);
		return hit ? *hit : NULL;
	}
	list_for_each_entry(m, &mf->maps, node)
		if (m->mm == mm && (!best || m->addr < best->addr))
			best = m;
	return best;
}

/*
 * The mm of process tsk: that of its first thread with one (the leader's is gone once it
 * exited, while other threads may run on).
 */
static struct mm_struct *daxfs_mf_process_mm(struct task_struct *tsk)
{
	struct mm_struct *mm;
	struct task_struct *t;

	for_each_thread(tsk, t) {
		mm = READ_ONCE(t->mm);
		if (mm)
			return mm;
	}
	return NULL;
}

/* Send SIGBUS (code) to t for hit m, noting it in m for the log. Whether it was sent. */
static bool daxfs_mf_signal(struct daxfs_mf_map *m, int code, struct task_struct *t)
{
	int err = send_sig_mceerr(code, (void __user *)m->addr, m->shift, t);

	if (!m->tries++) {
		m->code = code;
		m->err = err;
		m->pid = task_pid_nr(t);
		get_task_comm(m->comm, t);
	}
	return !err;
}

/*
 * After the unmap: signal the processes whose mm daxfs_mf_collect() found and whose policy
 * asks for it, once each (and the caller, when the failure is action required for it), then
 * drop the collected set. Returns the number of signals sent (processes told).
 */
unsigned int daxfs_mf_kill(struct daxfs_mf *mf, int mf_flags)
{
	bool all = READ_ONCE(daxfs_mf_early_kill);
	struct mm_struct *skip = NULL;
	struct daxfs_mf_map *m, *next, **v = NULL;
	unsigned int n = 0, nmm = 0, i, sent = 0;
	struct task_struct *tsk;

	if (list_empty(&mf->maps))
		return 0;
	list_for_each_entry(m, &mf->maps, node)
		n++;
	/* No memory for the array: the lookups walk the list instead. */
	v = kvmalloc_array(n, sizeof(*v), GFP_KERNEL | __GFP_NOWARN);
	if (v) {
		i = 0;
		list_for_each_entry(m, &mf->maps, node)
			v[i++] = m;
		sort(v, n, sizeof(*v), daxfs_mf_cmp, NULL);
		/* One per mm, its lowest address: a process is told once. */
		for (i = 0; i < n; i++)
			if (!nmm || v[nmm - 1]->mm != v[i]->mm)
				v[nmm++] = v[i];
	}
	/*
	 * Action required: the caller is told at once with BUS_MCEERR_AR, as kill_proc() does,
	 * whatever its policy; the other processes of its mm are not told.
	 */
	if ((mf_flags & MF_ACTION_REQUIRED) && !(current->flags & PF_KTHREAD) && current->mm) {
		skip = current->mm;
		m = daxfs_mf_lookup(mf, v, nmm, skip);
		if (m)
			sent += daxfs_mf_signal(m, BUS_MCEERR_AR, current);
	}

	rcu_read_lock();
	for_each_process(tsk) {
		struct mm_struct *mm;
		struct task_struct *t;

		if (tsk->flags & PF_KTHREAD)
			continue;
		mm = daxfs_mf_process_mm(tsk);
		if (!mm || mm == skip)
			continue;
		m = daxfs_mf_lookup(mf, v, nmm, mm);
		if (!m)
			continue;
		t = daxfs_mf_early_thread(tsk, all);
		if (!t || READ_ONCE(t->mm) != mm)
			continue;
		sent += daxfs_mf_signal(m, BUS_MCEERR_AO, t);
	}
	rcu_read_unlock();
	kvfree(v);

	list_for_each_entry_safe(m, next, &mf->maps, node) {
		const char *code = m->code == BUS_MCEERR_AR ? "BUS_MCEERR_AR" : "BUS_MCEERR_AO";

		if (m->tries && m->err)
			pr_err_ratelimited("%#lx: sending SIGBUS (%s, early kill) to %s:%d failed: %d\n",
					   m->pfn, code, m->comm, m->pid, m->err);
		else if (m->tries)
			pr_err_ratelimited("%#lx: early kill: SIGBUS (%s) sent to %s:%d at %#lx\n",
					   m->pfn, code, m->comm, m->pid, m->addr);
		if (m->tries > 1)
			pr_err_ratelimited("%#lx: early kill: %u more process(es) sharing the memory map of %s:%d signalled\n",
					   m->pfn, m->tries - 1, m->comm, m->pid);
		mmdrop(m->mm);
		list_del(&m->node);
		kfree(m);
	}
	return sent;
}
