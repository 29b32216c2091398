# Offline class-balanced self-training (CBST, Zou et al. ECCV 2018; Tsai et al. ICCV 2019's [50])
# plus Hung et al.'s adversarial self-training, CamVid day -> dusk on CPU: one re-training round
# on the 406 labelled day frames and the 62 dusk training frames with their pseudo labels,
# starting from a trained checkpoint, with the AdversarialSelfTraining of
# ./camvid_day2dusk_tiny_ps.py on top (self-training from the first iteration). Without the
# adversarial losses: ./camvid_day2dusk_tiny_cbst.py. No published CamVid figure.
#   python tools/train.py configs/source_only/camvid_day2dusk_tiny.py
#   python tools/generate_pseudo_labels.py configs/source_only/camvid_day2dusk_tiny.py \
#       work_dirs/camvid_day2dusk_tiny/iter_600.pth --out work_dirs/pseudo_labels/camvid_round1
#   python tools/train.py configs/self_training/camvid_day2dusk_tiny_cbst_adv.py
# Round 2: pseudo labels from this run's checkpoint into a new folder (CBST: p + 0.05), then
#   python tools/generate_pseudo_labels.py configs/self_training/camvid_day2dusk_tiny_cbst_adv.py \
#       work_dirs/camvid_day2dusk_tiny_cbst_adv/iter_600.pth \
#       --out work_dirs/pseudo_labels/camvid_round2 --portion 0.25
#   python tools/train.py configs/self_training/camvid_day2dusk_tiny_cbst_adv.py \
#       --work-dir work_dirs/camvid_day2dusk_tiny_cbst_adv_round2 --cfg-options \
#       train_dataloader.dataset.target_pseudo_labels=work_dirs/pseudo_labels/camvid_round2 \
#       load_from=work_dirs/camvid_day2dusk_tiny_cbst_adv/iter_600.pth
# Differences from CBST: portion 0.2 (CBST's initial SYNTHIA value; 0.15 for GTA5 with its
# spatial prior), no test-time flipping, no small-class patch mining or source-image
# selection, the pseudo labels weighted 1 like the source loss, the demo's 600-iteration CPU
# schedule restarted for the round (CBST: 2 epochs per round at lr 1e-4).
_base_ = ['./camvid_day2dusk_tiny_ps.py']
pseudo_labels = 'work_dirs/pseudo_labels/camvid_round1'
load_from = 'work_dirs/camvid_day2dusk_tiny/iter_600.pth'
model = dict(
    warmup_iters=0,
    adaptations=dict(
        ps=dict(self_training_start=0),
        pseudo=dict(type='PseudoLabelTraining', loss_weight=1.0)))
# UDADataset loads the pseudo labels right after each target image, before its transforms
train_dataloader = dict(dataset=dict(target_pseudo_labels=pseudo_labels))
