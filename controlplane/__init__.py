"""A real Kubernetes control plane as the second test bed: kube-apiserver, kube-controller-manager and
kube-scheduler built from the published Kubernetes Go modules, etcd from its wheel, KWOK's kubelets."""
