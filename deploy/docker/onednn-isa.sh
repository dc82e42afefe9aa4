# Sourced (POSIX sh) by the launchers that may train on a CPU: the container entrypoint,
# scripts/ddpm.sh train, scripts/bench-train.sh and deploy/local/stack.sh's trainer.
#
# cap_onednn_isa CLASSPATH
#   Unless ONEDNN_MAX_CPU_ISA is set already, runs the trainer's ConvolutionGradientCheck on every
#   preset's convolutions (a few seconds) and, when libtorch gets their gradients wrong on this CPU
#   (oneDNN's AVX-512 and AVX2 backward kernels are wrong for some widths on AMD Zen 5 VMs), exports
#   ONEDNN_MAX_CPU_ISA=AVX, whose kernels were right there (0.8x the speed). oneDNN reads the variable
#   once, when the process starts, so it has to be chosen here, before the trainer's JVM.
#   docs/configuration.md ("Wrong CPU convolution gradients") has the details.
cap_onednn_isa() {
  [ -n "${ONEDNN_MAX_CPU_ISA:-}" ] && return 0
  onednn_check_status=0
  java -Xmx256m -Dai.djl.offline=true -cp "$1" dev.ddpm.trainer.train.ConvolutionGradientCheck >/dev/null 2>&1 \
    || onednn_check_status=$?
  if [ "$onednn_check_status" -ne 0 ]; then
    # 3: wrong gradients; anything else (a crash of the kernels themselves) is no better a sign.
    export ONEDNN_MAX_CPU_ISA=AVX
    echo "[ddpm] libtorch's convolution gradients are wrong on this CPU (check exit $onednn_check_status): training with ONEDNN_MAX_CPU_ISA=AVX" >&2
  fi
}
