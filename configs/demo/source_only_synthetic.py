# Source-only baseline on the built-in synthetic data: the demo's segmentor as a plain MMSeg
# config (EncoderDecoder, stock OptimWrapper), trained on the source dataset alone (target images
# are not loaded).
_base_ = [
    '../_base_/models/plain/resnet18_tiny_deeplabv2.py',
    '../_base_/datasets/synthetic_uda.py',
    '../_base_/schedules/plain/demo_cpu.py',
    '../_base_/default_runtime.py',
]
# the dataset base's loader on its source set alone (no target set, no warm-up batch sampler)
train_dataloader = dict(_base_.train_dataloader, _delete_=True, dataset=_base_.source_train)
del train_dataloader['batch_sampler']
model_wrapper_cfg = None  # MMEngine's DDP wrapper, as in MMSeg (default_runtime's is UDA's)
