# DACS + MIC (masked image consistency, Hoyer et al. CVPR 2023), CamVid day -> dusk:
# ./camvid_day2dusk_lite0.py with the masked target images of
# ../_base_/adaptations/tranheden2021.py (`mic`: 70 % of the blocks masked, λ 1) at 32 px blocks
# (MIC's 64 px are for 512 px crops; a 184x240 CamVid frame has 3x4 blocks of 64 px, 6x8 of 32).
_base_ = ['./camvid_day2dusk_lite0.py']
model = dict(adaptations=dict(dacs=dict(masked_consistency=dict(
    type='MaskedImageConsistency', mask_ratio=0.7, block_size=32, loss_weight=1.0))))
