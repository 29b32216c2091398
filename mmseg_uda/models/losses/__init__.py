from .adversarial_loss import AdversarialLoss, adversarial_loss, domain_confusion_loss

__all__ = ['AdversarialLoss', 'adversarial_loss', 'domain_confusion_loss']
