# The schedule of ./plain/demo_cpu.py for the adaptation configs: its SGD trains
# UDASegmentor.generator, Adam lr 1e-4, betas (0.9, 0.99) the discriminators.
_base_ = ['./plain/demo_cpu.py', './discriminator_adam.py']
optim_wrapper = dict(_delete_=True, constructor='UDAOptimWrapperConstructor',
                     generator={{_base_.optim_wrapper}},
                     discriminator={{_base_.discriminator_adam}})
