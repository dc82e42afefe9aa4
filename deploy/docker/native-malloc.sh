# Sourced (POSIX sh) by the launchers of libtorch processes: the container entrypoint (trainer
# image), scripts/ddpm.sh, scripts/bench-train.sh and deploy/local/stack.sh's trainer.
#
# keep_native_heap
#   Unless the person set them already, exports glibc malloc settings that keep freed memory in the
#   process instead of handing it back to the kernel. libtorch allocates and frees every activation
#   and gradient of every step (megabytes each, at batch 64); with glibc's defaults those blocks are
#   mmap'd or trimmed off the heap top and come back as fresh pages, each one a page fault and a
#   zeroing by the kernel. On the 2-core VMs that was half of an evaluation's CPU time, half a short
#   training benchmark's speed and 3 % of a long run's (docs/benchmarks.md, "Native memory"). glibc
#   reads these once, at the process's first malloc, so they have to be set before the JVM starts.
#   - MALLOC_MMAP_THRESHOLD_: blocks below 32 MiB (glibc's maximum) come from the heap, not mmap;
#   - MALLOC_TRIM_THRESHOLD_: free heap top kept up to 4 GiB instead of being returned at 128 KiB;
#   - MALLOC_TOP_PAD_: the heap grows 256 MiB at a time, so growth itself is rare.
#   The price is a resident size that stays at its high-water mark.
keep_native_heap() {
  : "${MALLOC_MMAP_THRESHOLD_:=33554432}"
  : "${MALLOC_TRIM_THRESHOLD_:=4294967296}"
  : "${MALLOC_TOP_PAD_:=268435456}"
  export MALLOC_MMAP_THRESHOLD_ MALLOC_TRIM_THRESHOLD_ MALLOC_TOP_PAD_
}
