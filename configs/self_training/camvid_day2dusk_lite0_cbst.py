# Offline class-balanced self-training (CBST, Zou et al. ECCV 2018; Tsai et al.'s [50]), CamVid
# day -> dusk, from ImageNet: one re-training round on the 406 labelled day frames and the 62
# dusk train frames with pseudo labels from a source-only Lite0 checkpoint (class-balanced
# thresholds at portion 0.2, the rest ignored), starting from that checkpoint, without
# adversarial losses:
#   python tools/train.py configs/source_only/camvid_day2dusk_lite0.py
#   python tools/generate_pseudo_labels.py configs/source_only/camvid_day2dusk_lite0.py \
#       work_dirs/camvid_day2dusk_lite0/iter_1250.pth --out work_dirs/pseudo_labels/camvid_lite0
#   python tools/train.py configs/self_training/camvid_day2dusk_lite0_cbst.py
# Further rounds as in ./camvid_day2dusk_tiny_cbst_adv.py. benchmarks/camvid_table.py takes the
# pseudo labels from each seed's 1000-iteration source-only warm-up and trains the last 250
# iterations of the schedule from it instead. Differences from CBST: those of
# ./camvid_day2dusk_tiny_cbst_adv.py. With patch alignment: ./camvid_day2dusk_lite0_cbst_patch.py.
_base_ = ['./camvid_day2dusk_lite0_ps.py']
load_from = 'work_dirs/camvid_day2dusk_lite0/iter_1250.pth'
model = dict(
    warmup_iters=0,
    adaptations=dict(_delete_=True, pseudo=dict(type='PseudoLabelTraining', loss_weight=1.0)))
# UDADataset loads the pseudo labels right after each target image, before its transforms
train_dataloader = dict(dataset=dict(target_pseudo_labels='work_dirs/pseudo_labels/camvid_lite0'))
