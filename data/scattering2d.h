#pragma once
// A 2-D wavelet scattering transform of order 2 (Bruna & Mallat 2013), the
// fixed feature extractor of Tramer & Boneh's ScatterNet models: parameter
// free, so it is applied once to a whole data set when it is loaded
// (scattering_features) and training sees only its output.
//
// With the Morlet filters psi_{j,t} and the low-pass phi of
// data/morlet_filters.h (J scales, L orientations), for an image x:
//   order 0:  S0 = x * phi
//   order 1:  S1[j1, t1] = |x * psi_{j1,t1}| * phi
//   order 2:  S2[j1, t1, j2, t2] = ||x * psi_{j1,t1}| * psi_{j2,t2}| * phi,  j2 > j1
// each sampled every 2^J pixels. Channels, in this order: S0, then S1 with
// j1 major and t1 minor, then S2 in (j1, t1, j2, t2) order: K = 1 + J L +
// L^2 J (J - 1) / 2 of them (81 for J = 2, L = 8).
//
// Computed in the Fourier domain (core/fft.h), as Kymatio's Scattering2D
// does: the image is reflection-padded to a grid of powers of two at least
// 2^J larger than it (32 x 32 for 28 x 28, with 2 pixels each side; Kymatio,
// whose FFTs take any size, pads to 36 x 36), all convolutions are circular on
// that grid, and each |x * psi_j| is kept subsampled by 2^j (exact spatial
// subsampling; the next filters see the frequencies that grid holds). The
// outputs are the samples at multiples of 2^J on the padded grid that fall
// inside the image: for 28 x 28 and J = 2, pixels 2, 6, ..., 26, so 7 x 7.
#include <cstdint>
#include <span>
#include <vector>

#include "veil/core/fft.h"
#include "veil/core/tensor.h"
#include "veil/data/tensor_dataset.h"

namespace veil::data {

struct Scattering2dOptions {
  std::int64_t J = 2;  // scales: outputs are sampled every 2^J pixels
  std::int64_t L = 8;  // orientations per scale
};

class Scattering2d {
 public:
  // For images of height x width (each at least 2) pixels.
  Scattering2d(std::int64_t height, std::int64_t width, Scattering2dOptions options = {});

  std::int64_t channels() const { return channels_; }
  std::int64_t out_height() const { return out_rows_; }
  std::int64_t out_width() const { return out_cols_; }

  // float32 CPU images [N, 1, H, W] or [N, H, W] -> float32 [N, K, H', W'],
  // the images in parallel.
  Tensor operator()(const Tensor& images) const;

  // One image, row-major H x W values -> K x H' x W' values in `out`.
  void transform(std::span<const float> image, std::span<float> out) const;

 private:
  struct Workspace;
  void transform(std::span<const float> image, std::span<float> out, Workspace& work) const;

  std::int64_t height_, width_, J_, L_, channels_;
  std::int64_t rows_, cols_, pad_top_, pad_left_;  // the padded grid
  std::int64_t first_row_, first_col_, out_rows_, out_cols_;  // kept samples of the 2^J grid
  // psi_[r][n]: wavelet n's spectrum at resolution r (r <= its scale j);
  // phi_[r]: the low-pass at resolution r <= J.
  std::vector<std::vector<std::vector<double>>> psi_;
  std::vector<std::vector<double>> phi_;
  std::vector<FftPlan> row_forward_, row_inverse_, column_forward_, column_inverse_;  // per resolution
};

// The scattering features of every example of `images` (a data set of float
// or decoded byte images [N, 1, H, W] matching `scattering`'s size), with its
// targets: float32 inputs [N, K, H', W'].
TensorDataset scattering_features(const TensorDataset& images, const Scattering2d& scattering);

}  // namespace veil::data
