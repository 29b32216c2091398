# Ablation "Ls + Ld" (Tsai et al., ICCV 2019, Table 1) on CamVid day -> dusk: the patch-cluster
# head H is trained with the patch-mode loss Ld on the source only, without the adversarial loss
# (λadv = 0: no discriminator, and no target images are forwarded). The "without alignment"
# reference of tools/analysis/patch_tsne.py. Modes file: the same as ./camvid_day2dusk_tiny.py.
_base_ = ['./camvid_day2dusk_tiny.py']
model = dict(adaptations=dict(patch=dict(loss_weight_adv=0.0)))
