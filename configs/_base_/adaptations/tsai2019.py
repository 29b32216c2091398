# The adaptations that Tsai et al. (ICCV 2019) add to one another in Tables 2-3, as variables
# for the configs that combine them (configs/fusion/, configs/self_training/*_patch*.py,
# configs/pixel_level/*_patch*.py, the CamVid and demo patch configs). Only variables: a config
# lists this file among its bases and sets e.g. model.adaptations.patch = {{_base_.patch_gta}}.
#
# Patch alignment as in configs/patch_align/gta2cs_1xb1.py: K = 50, λd 0.01, λadv 0.0005, 32 px
# patches (our choice), the other values PatchAlignment's defaults (2x2 grid, per-cell head
# pooling, FCDiscriminator 256-512-1); one variable per modes file.
patch_alignment = dict(type='PatchAlignment', patch_size=32, num_modes=50,
                       loss_weight_cluster=0.01, loss_weight_adv=0.0005)
patch_gta = dict(patch_alignment, modes_file='work_dirs/patch_modes/gta2cs_k50.pth')
patch_synthia = dict(patch_alignment, modes_file='work_dirs/patch_modes/synthia2cs_k50.pth')
patch_camvid_lite0 = dict(patch_alignment,
                          modes_file='work_dirs/patch_modes/camvid_day2dusk_p32_k50.pth')
# 16 px patches for the stride-8 CPU models (2x2 logit cells per patch): the tiny CamVid model
# and the demo's synthetic data.
patch_camvid_tiny = dict(patch_alignment, patch_size=16,
                         modes_file='work_dirs/patch_modes/camvid_day2dusk_k50.pth')
patch_synthetic = dict(patch_alignment, patch_size=16,
                       modes_file='work_dirs/demo/patch_modes_k50.pth')
# Ps: Hung et al.'s adversarial self-training (their values are AdversarialSelfTraining's
# defaults), D on the input-size maps, self-training from iteration 15k (10k source-only
# iterations, then their 5000-iteration delay), as in configs/self_training/gta2cs_ps_1xb1.py.
ps_hung = dict(type='AdversarialSelfTraining', self_training_start=15000,
               disc_input_size='input', align_corners=True)
# The same on CamVid with Lite0: D on the head's 12x15 output, self-training from iteration
# 1100 of the 1250 (configs/self_training/camvid_day2dusk_lite0_ps.py).
ps_hung_camvid = dict(type='AdversarialSelfTraining', self_training_start=1100,
                      disc_input_size='logits',
                      discriminator=dict(type='ConvDiscriminator', channels=(64, 128)))
