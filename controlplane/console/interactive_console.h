#pragma once

#include <functional>
#include <string>

#include "controlplane/console/command_registry.h"

struct cmdline;
struct cmdline_inst;

namespace dplb::controlplane {

// The terminal console of `dplb -i`: librte_cmdline provides line editing and
// history as in testpmd, and hands every complete line to the same
// CommandRegistry the control socket uses. Driven by the control loop (its
// fd is polled there), so it never blocks the control plane.
class InteractiveConsole {
 public:
  InteractiveConsole(const CommandRegistry& registry, std::string prompt, std::function<void()> on_end_of_input);
  ~InteractiveConsole();

  bool open();
  void close();
  int fd() const;
  void on_readable();
  // While a background command runs, the console reads no input (as a shell
  // waits for its foreground job).
  bool busy() const { return busy_; }

 private:
  static void on_line(void* parsed, struct cmdline* cl, void* data);

  const CommandRegistry& registry_;
  std::string prompt_;
  std::function<void()> on_end_of_input_;
  struct cmdline* cl_ = nullptr;
  cmdline_inst* instance_ = nullptr;
  void** context_ = nullptr;
  bool busy_ = false;
  bool in_callback_ = false;
};

}  // namespace dplb::controlplane
