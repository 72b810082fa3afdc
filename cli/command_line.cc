#include "cli/command_line.h"

#include <charconv>
#include <cstdio>
#include <memory>
#include <regex>

namespace rwd::cli {

namespace {

// "usage: rewind NAME USAGE", the description, then CLI11's option list.
class HelpFormatter : public CLI::Formatter {
 public:
  explicit HelpFormatter(std::string usage) : usage_(std::move(usage)) {}

  std::string make_help(const CLI::App* app, std::string name,
                        CLI::AppFormatMode mode) const override {
    std::string out = "usage: " + name + (usage_.empty() ? "" : " " + usage_) + "\n";
    if (!app->get_description().empty()) out += app->get_description() + "\n";
    out += make_positionals(app);
    out += make_groups(app, mode);
    std::string footer = make_footer(app);
    if (!footer.empty()) out += "\n" + footer;
    return out;
  }

  // An option's value name only: the descriptions say which options do not
  // go together, better than CLI11's "Excludes:" lists.
  std::string make_option_opts(const CLI::Option* opt) const override {
    if (!opt->nonpositional() || opt->get_type_size() == 0) return "";
    return " " + opt->get_type_name();
  }

 private:
  std::string usage_;
};

bool LooksLikeOption(const std::string& arg) { return arg.size() > 1 && arg[0] == '-'; }

// CLI11 says "--output: 1 required TRACE_DIR missing" for an option given
// without its value.
std::string Reword(const std::string& message) {
  static const std::regex missing_value("^(\\S+): 1 required (.+) missing$");
  std::smatch m;
  if (std::regex_match(message, m, missing_value)) {
    return m[1].str() + " needs a value (" + m[2].str() + ")";
  }
  return message;
}

}  // namespace

CommandLine::CommandLine(std::string name, std::string usage, std::string description)
    : name_(std::move(name)), app_(std::move(description), "rewind " + name_) {
  app_.formatter(std::make_shared<HelpFormatter>(std::move(usage)));
  app_.set_help_flag("-h,--help", "print this help and exit");
  // Repeating an option overrides it, as with hand-written parsers and as
  // shell aliases rely on.
  app_.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  // Left-over words are refused in Parse(), with a message that tells an
  // unknown option from an extra argument.
  app_.allow_extras();
}

void CommandLine::AddTraceArgument(std::string* trace) {
  app_.add_option("TRACE", *trace,
                  "a trace directory, or a file from 'rewind pack -o' or 'rewind ci'\n"
                  "(default: the latest recording)");
}

void CommandLine::TakeCommand(std::vector<std::string>* command, const std::string& what) {
  app_.prefix_command();
  command_ = command;
  command_what_ = what;
}

std::optional<int> CommandLine::Parse(const Args& args) {
  // CLI11 takes the words last first.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app_.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    fputs(Help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    return Refuse(Reword(e.what()));
  }
  std::vector<std::string> rest = app_.remaining();
  if (command_) {
    if (!rest.empty() && rest[0] == "--") {
      rest.erase(rest.begin());
    } else if (!rest.empty() && LooksLikeOption(rest[0])) {
      return Refuse("unknown option '" + rest[0] + "'");
    }
    if (rest.empty()) return Refuse("missing " + command_what_);
    *command_ = std::move(rest);
    return std::nullopt;
  }
  if (rest.empty()) return std::nullopt;
  if (LooksLikeOption(rest[0])) return Refuse("unknown option '" + rest[0] + "'");
  return Refuse("unexpected argument '" + rest[0] + "'");
}

int CommandLine::Refuse(const std::string& message) const {
  fprintf(stderr, "rewind %s: %s\nTry 'rewind help %s' for more information.\n", name_.c_str(),
          message.c_str(), name_.c_str());
  return kExitUsage;
}

std::string CommandLine::Help() const { return app_.help(); }

CLI::Validator IntegerIn(int64_t min, int64_t max, const std::string& what) {
  std::string range = max == INT64_MAX ? std::to_string(min) + " or more"
                                       : std::to_string(min) + " to " + std::to_string(max);
  auto check = [min, max, refusal = " is not " + what + " (" + range + ")"](std::string& value) {
    int64_t n = 0;
    const char* end = value.data() + value.size();
    auto [stop, error] = std::from_chars(value.data(), end, n);
    if (value.empty() || error != std::errc() || stop != end || n < min || n > max) {
      return "'" + value + "'" + refusal;
    }
    return std::string();
  };
  return CLI::Validator(check, "");
}

CLI::Validator DecimalIn(double min, double max, const std::string& what) {
  auto check = [min, max, what](std::string& value) {
    double d = 0;
    const char* end = value.data() + value.size();
    auto [stop, error] = std::from_chars(value.data(), end, d, std::chars_format::fixed);
    if (value.empty() || error != std::errc() || stop != end || !(d >= min && d <= max)) {
      char range[64];
      snprintf(range, sizeof range, "%g to %g", min, max);
      return "'" + value + "' is not " + what + " (" + range + ")";
    }
    return std::string();
  };
  return CLI::Validator(check, "");
}

CLI::Validator OneOf(const std::vector<std::string>& choices) {
  std::string list;
  for (const std::string& c : choices) list += (list.empty() ? "" : ", ") + c;
  auto check = [choices, list](std::string& value) {
    for (const std::string& c : choices) {
      if (value == c) return std::string();
    }
    return "'" + value + "' is not one of " + list;
  };
  return CLI::Validator(check, "");
}

}  // namespace rwd::cli
