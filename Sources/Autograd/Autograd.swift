// The reverse-mode tape and differentiable operations (issue 3) live in this target.
