#include "veil/data/scattering2d.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <numeric>

#include "veil/core/error.h"
#include "veil/core/parallel.h"
#include "veil/data/morlet_filters.h"

namespace veil::data {

namespace {

using Complex = std::complex<double>;

std::int64_t next_power_of_two(std::int64_t n) {
  std::int64_t p = 1;
  while (p < n) p *= 2;
  return p;
}

// numpy's "reflect" padding (the edge pixel is not repeated), repeated for
// pads wider than the image: index i of a line of n pixels.
std::int64_t reflect(std::int64_t i, std::int64_t n) {
  const std::int64_t period = 2 * (n - 1);
  std::int64_t m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

// out = the product of `spectrum` and the real `filter` (both rows x cols),
// subsampled by `factor` in space: in the Fourier domain, the mean of the
// factor^2 aliases of each frequency of the (rows / factor) x (cols /
// factor) grid.
void filter_and_subsample(const Complex* spectrum, const double* filter, std::int64_t rows, std::int64_t cols,
                          std::int64_t factor, Complex* out) {
  const std::int64_t out_rows = rows / factor, out_cols = cols / factor;
  std::fill(out, out + out_rows * out_cols, Complex(0.0));
  for (std::int64_t r = 0; r < rows; ++r) {
    Complex* __restrict target = out + (r % out_rows) * out_cols;
    for (std::int64_t block = 0; block < cols; block += out_cols) {
      const Complex* __restrict source = spectrum + r * cols + block;
      const double* __restrict weight = filter + r * cols + block;
      for (std::int64_t k = 0; k < out_cols; ++k) target[k] += source[k] * weight[k];
    }
  }
  if (factor > 1) {
    const double mean = 1.0 / double(factor * factor);
    for (std::int64_t i = 0; i < out_rows * out_cols; ++i) out[i] *= mean;
  }
}

}  // namespace

struct Scattering2d::Workspace {
  std::vector<Complex> image, first, second, low;  // spectra at resolutions 0, j1, j2 and J
};

Scattering2d::Scattering2d(std::int64_t height, std::int64_t width, Scattering2dOptions options)
    : height_(height), width_(width), J_(options.J), L_(options.L) {
  VEIL_CHECK(height >= 2 && width >= 2) << "Scattering2d: images must be at least 2 x 2 pixels, got " << height
                                        << " x " << width;
  VEIL_CHECK(J_ >= 1 && J_ <= 8 && L_ >= 1 && L_ <= 64)
      << "Scattering2d: J must be in [1, 8] and L in [1, 64], got J " << J_ << ", L " << L_;
  channels_ = 1 + J_ * L_ + L_ * L_ * J_ * (J_ - 1) / 2;
  const std::int64_t step = std::int64_t{1} << J_;
  rows_ = next_power_of_two(height + step);
  cols_ = next_power_of_two(width + step);
  pad_top_ = (rows_ - height) / 2;
  pad_left_ = (cols_ - width) / 2;
  // Samples m * step of the padded grid that are pixels of the image.
  first_row_ = (pad_top_ + step - 1) / step;
  first_col_ = (pad_left_ + step - 1) / step;
  out_rows_ = (pad_top_ + height - 1) / step - first_row_ + 1;
  out_cols_ = (pad_left_ + width - 1) / step - first_col_ + 1;
  const MorletFilterBank bank = morlet_filter_bank(rows_, cols_, J_, L_);
  psi_.resize(static_cast<std::size_t>(J_));
  for (std::int64_t r = 0; r < J_; ++r)
    for (const std::vector<double>& psi : bank.psi) psi_[r].push_back(at_resolution(psi, rows_, cols_, r));
  for (std::int64_t r = 0; r <= J_; ++r) {
    phi_.push_back(at_resolution(bank.phi, rows_, cols_, r));
    const auto rows = static_cast<std::size_t>(rows_ >> r), cols = static_cast<std::size_t>(cols_ >> r);
    row_forward_.emplace_back(cols, FftDirection::forward);
    row_inverse_.emplace_back(cols, FftDirection::inverse);
    column_forward_.emplace_back(rows, FftDirection::forward);
    column_inverse_.emplace_back(rows, FftDirection::inverse);
  }
}

void Scattering2d::transform(std::span<const float> image, std::span<float> out) const {
  Workspace work;
  transform(image, out, work);
}

void Scattering2d::transform(std::span<const float> image, std::span<float> out, Workspace& work) const {
  VEIL_ASSERT(static_cast<std::int64_t>(image.size()) == height_ * width_ &&
              static_cast<std::int64_t>(out.size()) == channels_ * out_rows_ * out_cols_)
      << "Scattering2d::transform of " << image.size() << " pixels into " << out.size() << " values";
  const auto grid = static_cast<std::size_t>(rows_ * cols_);
  work.image.resize(grid);
  work.first.resize(grid);
  work.second.resize(grid);
  work.low.resize(grid);
  const auto spectrum_at = [&](std::vector<Complex>& values, std::int64_t r) {
    return std::span<Complex>(values.data(), static_cast<std::size_t>((rows_ >> r) * (cols_ >> r)));
  };
  // |inverse transform|, transformed back: the spectrum of a modulus.
  const auto modulus = [&](std::vector<Complex>& values, std::int64_t r) {
    const std::span<Complex> s = spectrum_at(values, r);
    fft2d(s, row_inverse_[r], column_inverse_[r]);
    for (Complex& v : s) v = std::sqrt(v.real() * v.real() + v.imag() * v.imag());
    fft2d(s, row_forward_[r], column_forward_[r]);
  };
  std::int64_t channel = 0;
  const std::int64_t plane = out_rows_ * out_cols_, low_cols = cols_ >> J_;
  // Low-pass filtered and sampled every 2^J pixels: the next channel.
  const auto low_pass = [&](const std::vector<Complex>& values, std::int64_t r) {
    filter_and_subsample(values.data(), phi_[r].data(), rows_ >> r, cols_ >> r, std::int64_t{1} << (J_ - r),
                         work.low.data());
    fft2d(spectrum_at(work.low, J_), row_inverse_[J_], column_inverse_[J_]);
    float* target = out.data() + channel * plane;
    for (std::int64_t i = 0; i < out_rows_; ++i)
      for (std::int64_t k = 0; k < out_cols_; ++k)
        target[i * out_cols_ + k] = static_cast<float>(work.low[(first_row_ + i) * low_cols + first_col_ + k].real());
    ++channel;
  };

  for (std::int64_t r = 0; r < rows_; ++r)
    for (std::int64_t k = 0; k < cols_; ++k)
      work.image[r * cols_ + k] = image[reflect(r - pad_top_, height_) * width_ + reflect(k - pad_left_, width_)];
  fft2d(work.image, row_forward_[0], column_forward_[0]);
  low_pass(work.image, 0);
  // The order-2 channels follow all order-1 ones: their index is counted apart.
  std::int64_t second_channel = 1 + J_ * L_;
  for (std::int64_t j1 = 0; j1 < J_; ++j1) {
    for (std::int64_t t1 = 0; t1 < L_; ++t1) {
      filter_and_subsample(work.image.data(), psi_[0][j1 * L_ + t1].data(), rows_, cols_, std::int64_t{1} << j1,
                           work.first.data());
      modulus(work.first, j1);
      low_pass(work.first, j1);
      const std::int64_t first_channel = channel;
      channel = second_channel;
      for (std::int64_t j2 = j1 + 1; j2 < J_; ++j2) {
        for (std::int64_t t2 = 0; t2 < L_; ++t2) {
          filter_and_subsample(work.first.data(), psi_[j1][j2 * L_ + t2].data(), rows_ >> j1, cols_ >> j1,
                               std::int64_t{1} << (j2 - j1), work.second.data());
          modulus(work.second, j2);
          low_pass(work.second, j2);
        }
      }
      second_channel = channel;
      channel = first_channel;
    }
  }
  VEIL_ASSERT(channel == 1 + J_ * L_ && second_channel == channels_)
      << "Scattering2d wrote " << channel << " and " << second_channel << " of " << channels_ << " channels";
}

Tensor Scattering2d::operator()(const Tensor& images) const {
  VEIL_CHECK(images.device().is_cpu() && images.dtype() == DType::Float32 &&
             ((images.dim() == 4 && images.size(1) == 1) || images.dim() == 3) &&
             images.size(images.dim() - 2) == height_ && images.size(images.dim() - 1) == width_)
      << "Scattering2d: images must be float32 on the CPU, [N, 1, " << height_ << ", " << width_ << "] or [N, "
      << height_ << ", " << width_ << "], got " << images.shape() << " " << dtype_name(images.dtype());
  const Tensor input = images.contiguous();
  const std::int64_t n = input.size(0), pixels = height_ * width_, values = channels_ * out_rows_ * out_cols_;
  Tensor out = Tensor::empty({n, channels_, out_rows_, out_cols_});
  const float* source = input.data<float>();
  float* target = out.data<float>();
  parallel_for(n, 8, [&](std::int64_t begin, std::int64_t end) {
    Workspace work;
    for (std::int64_t i = begin; i < end; ++i)
      transform(std::span<const float>(source + i * pixels, static_cast<std::size_t>(pixels)),
                std::span<float>(target + i * values, static_cast<std::size_t>(values)), work);
  });
  return out;
}

TensorDataset scattering_features(const TensorDataset& images, const Scattering2d& scattering) {
  const std::int64_t n = images.size();
  Tensor features = Tensor::empty({n, scattering.channels(), scattering.out_height(), scattering.out_width()});
  const std::int64_t values = features.numel() / std::max<std::int64_t>(n, 1);
  // A chunk of images decoded at a time: the floats of the whole set are never held.
  constexpr std::int64_t kChunk = 2048;
  for (std::int64_t begin = 0; begin < n; begin += kChunk) {
    std::vector<std::int64_t> indices(static_cast<std::size_t>(std::min(kChunk, n - begin)));
    std::iota(indices.begin(), indices.end(), begin);
    const Tensor chunk = scattering(images.gather(indices).inputs);
    std::memcpy(features.data<float>() + begin * values, chunk.data<float>(), chunk.numel() * sizeof(float));
  }
  return TensorDataset(std::move(features), images.targets());
}

}  // namespace veil::data
