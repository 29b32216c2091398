# Runtime shared by every mmseg_uda config (MMSeg 1.x conventions).
default_scope = 'mmseg'
custom_imports = dict(imports=['mmseg_uda'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
# One DDP wrapper per part (segmentor / discriminators), each with its own optimizer. Unused
# parameters are expected: the discriminators and target-only heads sit out the warm-up.
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel', find_unused_parameters=True)
# tools/test.py --tta wraps the model in MMSeg's SegTTAModel (softmax maps of the augmented views
# averaged), with the dataset config's `tta_pipeline` as test pipeline.
tta_model = dict(type='SegTTAModel')
