# DACS + MIC on DeepLab-v2 ResNet-101 (./gta2cs_mic_deeplabv2_r101_1xb2.py) plus patch-level
# alignment (Tsai et al., ICCV 2019, the settings of configs/patch_align/gta2cs_1xb1.py: K = 50,
# λd 0.01, λadv 0.0005, 32 px patches) and its modes file
# (work_dirs/patch_modes/gta2cs_k50.pth, tools/build_patch_modes.py). No published figure: no
# paper combines the two. The patch alignment sees the student's plain target images, so this
# config runs the student on them too. Not trained here.
_base_ = ['./gta2cs_mic_deeplabv2_r101_1xb2.py', '../_base_/adaptations/tsai2019.py']
model = dict(adaptations=dict(patch={{_base_.patch_gta}}))
