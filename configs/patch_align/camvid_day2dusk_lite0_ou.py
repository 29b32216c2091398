# Output-space + patch-level alignment on real data, CamVid day -> dusk, from ImageNet: the patch
# alignment of ./camvid_day2dusk_lite0.py plus the output-space adaptation of
# configs/output_space/camvid_day2dusk_lite0.py (λadv 0.001, discriminator at the head's
# resolution). Same model, data, schedule and warm-up as both.
#
# Modes file: the same as ./camvid_day2dusk_lite0.py.
_base_ = ['./camvid_day2dusk_lite0.py']
model = dict(adaptations=dict(output={{_base_.ou_logits}}))
