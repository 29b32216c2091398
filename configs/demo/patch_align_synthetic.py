# Patch-level alignment (Tsai et al., ICCV 2019) on the built-in synthetic data: same model,
# schedule, warm-up (200 iterations) and number of iterations as source_only_synthetic.py and
# output_space_synthetic.py. K = 50 modes, λd 0.01, λadv 0.0005, FCDiscriminator {256, 512, 1}
# (the paper's values); patch size 16 (our choice for the 192x96 crops: 2x2 logit cells per
# patch at output stride 8, 6x12 patches per image).
#
# Modes file (tools/run_demo.py builds it before training):
#   python tools/build_patch_modes.py configs/demo/patch_align_synthetic.py \
#       --out work_dirs/demo/patch_modes_k50.pth
# ./output_space_patch_synthetic.py (where the PatchAlignment settings are written) without its
# output-space adaptation.
_base_ = ['./output_space_patch_synthetic.py']
model = dict(adaptations=dict(_delete_=True, patch={{_base_.model.adaptations.patch}}))
