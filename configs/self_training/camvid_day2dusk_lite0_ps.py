# Pseudo-label re-training "Ps" (Hung et al. BMVC 2018 adversarial self-training, the Ps of Tsai
# et al. ICCV 2019 Table 2: 41.8 on GTA5 -> Cityscapes) on real data, CamVid day -> dusk, from
# ImageNet: the model, data, schedule (1250 iterations of batch 8) and 1000 source-only
# iterations of configs/output_space/camvid_day2dusk_lite0.py, with AdversarialSelfTraining
# (Hung et al.'s λadv 0.01 / 0.001, λsemi 0.1, mask_T 0.2: its defaults) instead of the
# output-space discriminator. Differences from their recipe, for the CPU budget: those of
# ./camvid_day2dusk_tiny_ps.py (D with 3 stride-2 layers, 64-128-1, on the head's 12x15 output
# and the labels resized to it by nearest neighbour); self-training from iteration 1100, 100
# iterations after the adversarial losses start (theirs: 5000 of 20000).
_base_ = ['../output_space/camvid_day2dusk_lite0.py', '../_base_/adaptations/tsai2019.py']
model = dict(adaptations=dict(_delete_=True, ps={{_base_.ps_hung_camvid}}))
