# Pseudo-label re-training + patch-level alignment, SYNTHIA -> Cityscapes: ./synthia2cs_ps_1xb1.py
# plus the patch alignment of configs/patch_align/synthia2cs_1xb1.py (K = 50, λd 0.01,
# λadv 0.0005, 32 px patches). No published Ps figure for SYNTHIA (see ./synthia2cs_ps_1xb1.py).
#
# Modes file (the same as configs/patch_align/synthia2cs_1xb1.py):
#   python tools/build_patch_modes.py configs/self_training/synthia2cs_ps_patch_1xb1.py \
#       --out work_dirs/patch_modes/synthia2cs_k50.pth
_base_ = ['./synthia2cs_ps_1xb1.py']
model = dict(adaptations=dict(patch={{_base_.patch_synthia}}))
