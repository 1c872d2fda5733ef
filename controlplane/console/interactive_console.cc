#include "controlplane/console/interactive_console.h"

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_string.h>
#include <cmdline_rdline.h>
#include <cmdline_socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace dplb::controlplane {
namespace {

// librte_cmdline parses into a struct; one "multi" string token takes the
// whole line, which our registry then tokenises, so both consoles share one
// grammar.
struct WholeLine {
  cmdline_multi_string_t text;
};

cmdline_parse_token_string_t g_whole_line_token = {
    {&cmdline_token_string_ops, offsetof(WholeLine, text)},
    {TOKEN_STRING_MULTI},
};

}  // namespace

InteractiveConsole::InteractiveConsole(const CommandRegistry& registry, std::string prompt,
                                       std::function<void()> on_end_of_input)
    : registry_(registry), prompt_(std::move(prompt)), on_end_of_input_(std::move(on_end_of_input)) {}

InteractiveConsole::~InteractiveConsole() { close(); }

bool InteractiveConsole::open() {
  // cmdline_inst ends in a flexible array of tokens, which C++ cannot
  // initialise statically; build it in plain memory instead.
  instance_ = static_cast<cmdline_inst*>(std::calloc(1, sizeof(cmdline_inst) + 2 * sizeof(void*)));
  instance_->f = &InteractiveConsole::on_line;
  instance_->data = this;
  instance_->help_str = "any dplb command; type help";
  instance_->tokens[0] = &g_whole_line_token.hdr;
  instance_->tokens[1] = nullptr;
  context_ = static_cast<void**>(std::calloc(2, sizeof(void*)));
  context_[0] = instance_;
  cl_ = cmdline_stdin_new(reinterpret_cast<cmdline_parse_ctx_t*>(context_), prompt_.c_str());
  return cl_ != nullptr;
}

void InteractiveConsole::close() {
  if (cl_ != nullptr) {
    cmdline_stdin_exit(cl_);  // restores the terminal settings
    cl_ = nullptr;
  }
  std::free(context_);
  std::free(instance_);
  context_ = nullptr;
  instance_ = nullptr;
}

int InteractiveConsole::fd() const { return STDIN_FILENO; }

void InteractiveConsole::on_readable() {
  char buffer[256];
  ssize_t n = ::read(STDIN_FILENO, buffer, sizeof(buffer));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    on_end_of_input_();
    return;
  }
  // A lone Ctrl-D (a read that is nothing else) ends the session like `quit`,
  // as in a shell; librte_cmdline would otherwise treat it as a key.
  if (n == 1 && buffer[0] == 4) {
    on_end_of_input_();
    return;
  }
  if (cmdline_in(cl_, buffer, static_cast<int>(n)) < 0) on_end_of_input_();
}

void InteractiveConsole::on_line(void* parsed, struct cmdline* cl, void* data) {
  auto* self = static_cast<InteractiveConsole*>(data);
  const auto* line = static_cast<const WholeLine*>(parsed);
  self->busy_ = true;
  self->in_callback_ = true;
  self->registry_.execute_async(line->text, [self, cl](CommandReply reply) {
    // Finished later: librte_cmdline has printed the next prompt already, so
    // write over it and draw it again below the output.
    if (!self->in_callback_) cmdline_printf(cl, "\r");
    if (!reply.text.empty()) cmdline_printf(cl, "%s", reply.text.c_str());
    if (!self->in_callback_) rdline_redisplay(cmdline_get_rdline(cl));
    self->busy_ = false;
  });
  self->in_callback_ = false;
}

}  // namespace dplb::controlplane
