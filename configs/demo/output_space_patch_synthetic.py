# Output space + patch-level alignment ("Ou" + patch, Tsai et al., ICCV 2019, Table 2) on the
# built-in synthetic data: the adaptations of output_space_synthetic.py and
# patch_align_synthetic.py together, same model and schedule; one "discriminator" optimizer
# trains both discriminators. The PatchAlignment settings are _base_/adaptations/tsai2019.py's
# patch_synthetic (patch_align_synthetic.py is this config without the output-space
# adaptation): K = 50 modes, λd 0.01, λadv 0.0005,
# FCDiscriminator {256, 512, 1} (the paper's values); patch size 16 (our choice for the 192x96
# crops: 2x2 logit cells per patch at output stride 8, 6x12 patches per image).
#
# Modes file: the same as ./patch_align_synthetic.py (command there).
_base_ = ['./output_space_synthetic.py', '../_base_/adaptations/tsai2019.py']
model = dict(adaptations=dict(_delete_=True, patch={{_base_.patch_synthetic}},
                               output={{_base_.model.adaptations.output}}))
