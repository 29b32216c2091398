# DACS + patch-level alignment (Tsai et al., ICCV 2019), GTA5 -> Cityscapes:
# ./gta2cs_deeplabv2_r101_1xb2.py with the patch alignment of configs/patch_align/gta2cs_1xb1.py
# (K = 50, λd 0.01, λadv 0.0005, 32 px patches) and its modes file. No published figure: the
# patch paper combines its alignment with Hung et al.'s self-training
# (configs/self_training/gta2cs_ps_patch_1xb1.py), not with DACS. The patch alignment sees the
# student's plain target images, so this config runs the student on them too (DACS alone does
# not).
_base_ = ['./gta2cs_deeplabv2_r101_1xb2.py', '../_base_/adaptations/tsai2019.py']
model = dict(adaptations=dict(patch={{_base_.patch_gta}}))
