# Pseudo-label re-training "Ps" (Hung et al. BMVC 2018 adversarial self-training, the Ps of
# Tsai et al. ICCV 2019 Table 2) on real data, CamVid day -> dusk, on CPU: the model, data,
# schedule (600 iterations of batch 8) and 200 source-only iterations of
# configs/output_space/camvid_day2dusk_tiny.py, with AdversarialSelfTraining instead of the
# output-space discriminator. No published figure (the paper row is GTA5 -> Cityscapes: 41.8).
# Hung et al.'s values (AdversarialSelfTraining's defaults, listed in ./gta2cs_ps_1xb1.py):
# λadv 0.01 (day predictions), 0.001 (dusk predictions), λsemi 0.1, mask_T 0.2. Differences
# from their recipe, for the CPU budget: D (ConvDiscriminator with 3 stride-2 layers, 64-128-1)
# reads the head's 30x23 output and the labels resized to it by nearest neighbour, not the
# input-size maps; self-training starts at iteration 300, 100 iterations after the adversarial
# losses (theirs: 5000 of 20000).
_base_ = ['../output_space/camvid_day2dusk_tiny.py']
model = dict(
    adaptations=dict(
        _delete_=True,
        ps=dict(
            type='AdversarialSelfTraining',  # Hung et al.'s values are its defaults
            self_training_start=300,
            disc_input_size='logits',
            discriminator=dict(type='ConvDiscriminator', channels=(64, 128)),
        )),
)
