# Output-space + patch-level alignment on real data, CamVid day -> dusk, on CPU: the patch
# alignment of ./camvid_day2dusk_tiny.py plus the output-space adaptation of
# configs/output_space/camvid_day2dusk_tiny.py (λadv 0.001, discriminator at the head's
# resolution). Same model, data, schedule and warm-up as both. The PatchAlignment settings are
# written here (./camvid_day2dusk_tiny.py is this config without the output-space adaptation;
# its header explains them).
#
# Modes file: the same as ./camvid_day2dusk_tiny.py (command there).
_base_ = ['../output_space/camvid_day2dusk_tiny.py']
modes_file = 'work_dirs/patch_modes/camvid_day2dusk_k50.pth'
model = dict(
    adaptations=dict(
        _delete_=True,
        patch=dict(
            type='PatchAlignment',
            modes_file=modes_file,
            patch_size=16,
            grid=(2, 2),
            num_modes=50,
            head_pooling='cell',
            min_labelled_fraction=0.5,
            loss_weight_cluster=0.01,
            loss_weight_adv=0.0005,
            gan_type='bce',
            discriminator=dict(type='FCDiscriminator'),
        ),
        output={{_base_.model.adaptations.output}},
    ))
