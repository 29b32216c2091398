# Patch-level alignment on real data, CamVid day -> dusk, on CPU: the model, data, schedule and
# warm-up (200 iterations) of configs/output_space/camvid_day2dusk_tiny.py with PatchAlignment
# (K = 50, λd 0.01, λadv 0.0005, FCDiscriminator) instead of the output-space discriminator.
# Patch size 16 (our choice, scaled to the 240x180 frames): with the output stride 8, each
# 16x16 patch is 2x2 logit cells and each descriptor cell one logit cell; 11x15 patches per
# frame (the bottom 4 rows cropped). H sees each descriptor cell (head_pooling='cell'); patches
# less than half labelled get no Γ target.
#
# Modes file (K-means over the 406 labelled day frames):
#   python tools/build_patch_modes.py configs/patch_align/camvid_day2dusk_tiny.py \
#       --out work_dirs/patch_modes/camvid_day2dusk_k50.pth
# ./camvid_day2dusk_tiny_ou.py (where the PatchAlignment settings are written) without its
# output-space adaptation; model, data, schedule, warm-up: ../output_space/camvid_day2dusk_tiny.py.
_base_ = ['./camvid_day2dusk_tiny_ou.py']
model = dict(adaptations=dict(_delete_=True, patch={{_base_.model.adaptations.patch}}))
