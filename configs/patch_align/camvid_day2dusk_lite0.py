# Patch-level alignment (Tsai et al., ICCV 2019) on real data, CamVid day -> dusk, from ImageNet:
# the model, data, schedule and warm-up of configs/output_space/camvid_day2dusk_lite0.py with the
# PatchAlignment of configs/patch_align/camvid_day2dusk_tiny.py (K = 50, λd 0.01, λadv 0.0005,
# FCDiscriminator) instead of the output-space discriminator. Patch size 32: at output stride 16
# each patch is 2x2 logit cells and each descriptor cell one logit cell, as the tiny config's 16 px
# patches at stride 8; 5x7 patches per 184x240 input.
#
# Modes file (K-means over the 406 labelled day frames, 32 px patches):
#   python tools/build_patch_modes.py configs/patch_align/camvid_day2dusk_lite0.py \
#       --out work_dirs/patch_modes/camvid_day2dusk_p32_k50.pth
# Model, data, schedule, warm-up: ../output_space/camvid_day2dusk_lite0.py (adaptation replaced).
_base_ = ['../output_space/camvid_day2dusk_lite0.py', '../_base_/adaptations/tsai2019.py']
model = dict(adaptations=dict(_delete_=True, patch={{_base_.patch_camvid_lite0}}))
