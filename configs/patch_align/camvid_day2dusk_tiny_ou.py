# Output-space + patch-level alignment on real data, CamVid day -> dusk, on CPU: the patch
# alignment of ./camvid_day2dusk_tiny.py plus the output-space adaptation of
# configs/output_space/camvid_day2dusk_tiny.py (λadv 0.001, discriminator at the head's
# resolution). Same model, data, schedule and warm-up as both. The PatchAlignment settings are
# _base_/adaptations/tsai2019.py's patch_camvid_tiny: the paper's K = 50, λd 0.01, λadv 0.0005,
# FCDiscriminator, with 16 px patches (./camvid_day2dusk_tiny.py is this config without the
# output-space adaptation; its header explains them).
#
# Modes file: the same as ./camvid_day2dusk_tiny.py (command there).
_base_ = ['../output_space/camvid_day2dusk_tiny.py', '../_base_/adaptations/tsai2019.py']
model = dict(adaptations=dict(_delete_=True, patch={{_base_.patch_camvid_tiny}},
                               output={{_base_.model.adaptations.output}}))
