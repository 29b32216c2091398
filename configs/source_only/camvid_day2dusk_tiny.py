# Source-only baseline on real data, CamVid day -> dusk (data/camvid_daydusk): the
# small CPU DeepLabV2 (11 classes) trained on the 406 labelled day frames only (target images
# are not loaded), evaluated on the 62 dusk test frames. CPU schedule of the demo (600 iters).
_base_ = [
    '../_base_/models/plain/resnet18_tiny_deeplabv2.py',
    '../_base_/datasets/camvid_day_to_dusk.py',
    '../_base_/schedules/plain/demo_cpu.py',
    '../_base_/default_runtime.py',
]
model = dict(decode_head=dict(num_classes=11), auxiliary_head=dict(num_classes=11))
# the dataset base's loader on its source set alone (no target set, no warm-up batch sampler)
train_dataloader = dict(_base_.train_dataloader, _delete_=True, dataset=_base_.source_train)
del train_dataloader['batch_sampler']
model_wrapper_cfg = None  # MMEngine's DDP wrapper, as in MMSeg (default_runtime's is UDA's)
