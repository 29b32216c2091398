# Fusion "Ou + Pi + Ps", SYNTHIA -> Cityscapes (Tsai et al. ICCV 2019 Table 3 row Fusion: 37.9
# mIoU over 16 classes; 40.0 with patch alignment: ./synthia2cs_fusion_patch_1xb1.py), one GPU,
# batch 1 + 1: ./synthia2cs_pi_ou_1xb1.py plus the Ps of configs/self_training/
# synthia2cs_ps_1xb1.py, with the schedule choices of ./gta2cs_fusion_1xb1.py (10k source-only
# iterations, self-training from 15k). Needs your own translated SYNTHIA set (no public one known).
_base_ = ['./synthia2cs_pi_ou_1xb1.py', '../_base_/adaptations/tsai2019.py']
model = dict(warmup_iters=10000, adaptations=dict(ps={{_base_.ps_hung}}))
