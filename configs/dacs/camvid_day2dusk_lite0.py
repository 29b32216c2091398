# DACS (Tranheden et al., WACV 2021) on real data, CamVid day -> dusk, from ImageNet: the model,
# data, schedule (1250 iterations of batch 8 + 8) and 1000 source-only iterations of
# configs/output_space/camvid_day2dusk_lite0.py, with the DACS of
# ../_base_/adaptations/tranheden2021.py (α 0.99, threshold 0.968) instead of the output-space
# discriminator. The mean teacher starts as a copy of the student at the first adaptation
# iteration (1000), as DAFormer's at its iteration 0.
_base_ = ['../output_space/camvid_day2dusk_lite0.py', '../_base_/adaptations/tranheden2021.py']
model = dict(adaptations=dict(_delete_=True, dacs={{_base_.dacs}}))
