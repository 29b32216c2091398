# Ablation "Ls + Ladv without Ld" of Tsai et al. (ICCV 2019), GTA5 -> Cityscapes: gta2cs.py
# with loss_weight_cluster=0, so the head H is not supervised by the patch modes and the
# discriminator aligns an unstructured K-dim projection of the output. PatchAlignment still
# loads the modes file (it needs one of modes_file/modes) and still computes Γ(Ys) and Ld, which
# enter the loss with weight 0 (logged as src.patch.loss_cluster = 0).
#
# Modes file (the same as gta2cs.py):
#   python tools/build_patch_modes.py configs/patch_align/gta2cs_adv_no_ld.py \
#       --out work_dirs/patch_modes/gta2cs_k50.pth
_base_ = ['./gta2cs.py']
model = dict(adaptations=dict(patch=dict(loss_weight_cluster=0.0)))
