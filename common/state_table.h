// One lifecycle's state machine as data: the rows (from, action, to) are the
// only place that says which action is allowed when. Complaints, cases and
// party screenings each declare one table and ask it; docs are rendered from
// the same rows. Header-only, no dependencies beyond the standard library.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace netra {

template <typename State, typename Action>
struct StateTransition {
  State from;
  Action action;
  State to;
};

template <typename State, typename Action>
class StateTable {
 public:
  using Transition = StateTransition<State, Action>;

  // `rows` must outlive the table (a static constexpr array in practice).
  constexpr explicit StateTable(std::span<const Transition> rows) : rows_(rows) {}

  // The state `action` leads to from `from`, or nullopt when it is not allowed there.
  constexpr std::optional<State> Next(State from, Action action) const {
    for (const Transition& row : rows_) {
      if (row.from == from && row.action == action) return row.to;
    }
    return std::nullopt;
  }
  // The actions allowed in `from`, in table order, each once.
  std::vector<Action> Allowed(State from) const {
    std::vector<Action> actions;
    for (const Transition& row : rows_) {
      if (row.from != from) continue;
      bool seen = false;
      for (Action action : actions) seen = seen || action == row.action;
      if (!seen) actions.push_back(row.action);
    }
    return actions;
  }
  // No action leads anywhere from `state`.
  constexpr bool IsTerminal(State state) const {
    for (const Transition& row : rows_) {
      if (row.from == state) return false;
    }
    return true;
  }
  constexpr std::span<const Transition> rows() const { return rows_; }

 private:
  std::span<const Transition> rows_;
};

}  // namespace netra
