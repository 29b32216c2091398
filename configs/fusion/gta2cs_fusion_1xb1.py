# Fusion "Ou + Pi + Ps", GTA5 -> Cityscapes (Tsai et al. ICCV 2019 Table 2 row Fusion: 44.5 mIoU;
# 46.5 with patch alignment: ./gta2cs_fusion_patch_1xb1.py), one GPU, batch 1 + 1:
#   python tools/train.py configs/fusion/gta2cs_fusion_1xb1.py
# ./gta2cs_pi_ou_1xb1.py (output space on GTA5 + its CyCADA translations) plus the adversarial
# self-training of configs/self_training/gta2cs_ps_1xb1.py (Hung et al.'s values, the defaults of
# AdversarialSelfTraining; D at the input size), the 10k source-only iterations of the
# patch-alignment and Ps configs for every adversarial loss, self-training from 15k. Both
# discriminators are trained by the one "discriminator" optimizer (Adam 1e-4). Differences from
# the paper, which does not give the fusion's schedule: those of the three parents.
_base_ = ['./gta2cs_pi_ou_1xb1.py', '../_base_/adaptations/tsai2019.py']
model = dict(warmup_iters=10000, adaptations=dict(ps={{_base_.ps_hung}}))
