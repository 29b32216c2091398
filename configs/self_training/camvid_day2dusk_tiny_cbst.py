# Offline class-balanced self-training (CBST, Zou et al. ECCV 2018), CamVid day -> dusk on CPU,
# without adversarial losses: ./camvid_day2dusk_tiny_cbst_adv.py (same pseudo labels, data,
# checkpoint and schedule; its header has the commands and the differences from CBST) with
# only the pseudo-label loss on the target. No discriminator is built.
_base_ = ['./camvid_day2dusk_tiny_cbst_adv.py']
model = dict(adaptations=dict(_delete_=True, pseudo=dict(type='PseudoLabelTraining')))
