// Programs baked into the real-node tier's test images (test/harness/images.ts). Standard library only, so the
// build needs nothing from the module proxy.
module nodebounce.local/e2e-images

go 1.24
