# Output space + patch-level alignment ("Ou" + patch, Tsai et al., ICCV 2019, Table 2) on the
# built-in synthetic data: the adaptations of output_space_synthetic.py and
# patch_align_synthetic.py together, same model and schedule; one "discriminator" optimizer
# trains both discriminators. The PatchAlignment settings are written here (patch_align_synthetic.py
# is this config without the output-space adaptation): K = 50 modes, λd 0.01, λadv 0.0005,
# FCDiscriminator {256, 512, 1} (the paper's values); patch size 16 (our choice for the 192x96
# crops: 2x2 logit cells per patch at output stride 8, 6x12 patches per image).
#
# Modes file: the same as ./patch_align_synthetic.py (command there).
_base_ = ['./output_space_synthetic.py']
modes_file = 'work_dirs/demo/patch_modes_k50.pth'
model = dict(
    adaptations=dict(
        _delete_=True,
        patch=dict(
            type='PatchAlignment',
            modes_file=modes_file,
            patch_size=16,
            grid=(2, 2),
            num_modes=50,
            loss_weight_cluster=0.01,
            loss_weight_adv=0.0005,
            gan_type='bce',
            discriminator=dict(type='FCDiscriminator'),
        ),
        output={{_base_.model.adaptations.output}},
    ))
