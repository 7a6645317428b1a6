//! Value completion for the shells whose clap generators leave it out: elvish and PowerShell
//! complete subcommands and flags but no values, fish no positional values. The values
//! (runbook kinds, `--sample`, `--color`, every argument with a fixed set) are read from the
//! clap tree, so they cannot drift from what the parser accepts.

use clap::Command;

/// Where an argument with fixed values sits: the subcommand path (`steady;heap;top`), its
/// long flag (None for a positional), and its values.
#[derive(Debug, PartialEq)]
pub struct Values {
    pub path: String,
    pub flag: Option<String>,
    pub values: Vec<String>,
}

/// Every visible argument with a fixed set of values, in the visible tree.
pub fn collect(cmd: &Command) -> Vec<Values> {
    let mut out = Vec::new();
    walk(cmd, cmd.get_name().to_string(), &mut out);
    out
}

fn walk(cmd: &Command, path: String, out: &mut Vec<Values>) {
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let values: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_string())
            .collect();
        if values.is_empty() || !arg.get_action().takes_values() {
            continue;
        }
        let flag = match (arg.is_positional(), arg.get_long()) {
            (true, _) => None,
            (false, Some(long)) => Some(format!("--{long}")),
            (false, None) => continue,
        };
        out.push(Values {
            path: path.clone(),
            flag,
            values,
        });
    }
    for sub in cmd.get_subcommands() {
        walk(sub, format!("{path};{}", sub.get_name()), out);
    }
}

/// The fish lines clap leaves out: positional values.
pub fn fish(values: &[Values]) -> String {
    let mut text = String::new();
    for v in values.iter().filter(|v| v.flag.is_none()) {
        let subcommand = v.path.rsplit(';').next().unwrap_or_default();
        text.push_str(&format!(
            "complete -c steady -n \"__fish_steady_using_subcommand {subcommand}\" -f -a \"{}\"\n",
            v.values.join(" ")
        ));
    }
    text
}

/// Elvish: a flag's values after the flag, before the generated table is consulted; a
/// positional's values among its subcommand's candidates.
pub fn elvish(generated: &str, values: &[Values]) -> Option<String> {
    let loop_end = "        set command = $command';'$word\n    }\n";
    let at = generated.find(loop_end)? + loop_end.len();
    let mut table = String::from("    var values = [\n");
    for v in values {
        if let Some(flag) = &v.flag {
            table.push_str(&format!(
                "        &'{};{flag}'= [{}]\n",
                v.path,
                quoted(&v.values, " ")
            ));
        }
    }
    table.push_str("    ]\n");
    let lookup = "    $completions[$command]\n";
    if !generated.ends_with(&format!("{lookup}}}\n")) {
        return None;
    }
    // Elvish's `return` leaves only an `fn`, not the completer's lambda: an if/else instead.
    let generated = format!(
        "{}{}",
        &generated[..generated.len() - lookup.len() - 2],
        concat!(
            "    if (and (> (count $words) 2) (has-key $values $command';'$words[-2])) {\n",
            "        for value $values[$command';'$words[-2]] {\n",
            "            cand $value ''\n",
            "        }\n",
            "    } else {\n",
            "        $completions[$command]\n",
            "    }\n",
            "}\n",
        )
    );
    let mut text = format!("{}{table}{}", &generated[..at], &generated[at..]);
    for v in values.iter().filter(|v| v.flag.is_none()) {
        let head = format!("        &'{}'= {{\n", v.path);
        let at = text.find(&head)? + head.len();
        let cands: String = v
            .values
            .iter()
            .map(|value| format!("            cand {value} ''\n"))
            .collect();
        text.insert_str(at, &cands);
    }
    Some(text)
}

/// PowerShell: the same, keyed by the subcommand path and the word before the cursor.
pub fn powershell(generated: &str, values: &[Values]) -> Option<String> {
    let switch = "    $completions = @(switch ($command) {\n";
    let at = generated.find(switch)?;
    let mut table = String::from("    $values = @{\n");
    for v in values {
        if let Some(flag) = &v.flag {
            table.push_str(&format!(
                "        '{};{flag}' = @({})\n",
                v.path,
                quoted(&v.values, ", ")
            ));
        }
    }
    table.push_str(concat!(
        "    }\n",
        "    $last = $commandElements[$commandElements.Count - 1].ToString()\n",
        "    $previous = if ($wordToComplete -ne '' -and $last -eq $wordToComplete -and $commandElements.Count -ge 2) {\n",
        "        $commandElements[$commandElements.Count - 2].ToString()\n",
        "    } else { $last }\n",
        "    if ($values.ContainsKey(\"$command;$previous\")) {\n",
        "        $values[\"$command;$previous\"] | Where-Object { $_ -like \"$wordToComplete*\" } |\n",
        "            ForEach-Object { [CompletionResult]::new($_, $_, [CompletionResultType]::ParameterValue, $_) }\n",
        "        return\n",
        "    }\n\n",
    ));
    let mut text = format!("{}{table}{}", &generated[..at], &generated[at..]);
    for v in values.iter().filter(|v| v.flag.is_none()) {
        let head = format!("        '{}' {{\n", v.path);
        let at = text.find(&head)? + head.len();
        let results: String = v
            .values
            .iter()
            .map(|value| {
                format!(
                    "            [CompletionResult]::new('{value}', '{value}', [CompletionResultType]::ParameterValue, '{value}')\n"
                )
            })
            .collect();
        text.insert_str(at, &results);
    }
    Some(text)
}

/// `'a' 'b'` (elvish) or `'a', 'b'` (PowerShell): single-quoted, as both shells write it.
fn quoted(values: &[String], separator: &str) -> String {
    values
        .iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_for_flags_and_positionals_where_the_parser_has_them() {
        let cmd = crate::commands::generate::visible_command();
        let all = collect(&cmd);
        let find = |path: &str, flag: Option<&str>| {
            all.iter()
                .find(|v| v.path == path && v.flag.as_deref() == flag)
                .map(|v| v.values.join(" "))
        };
        assert_eq!(
            find("steady;heap;top", Some("--sample")).as_deref(),
            Some("inuse_space inuse_objects alloc_space alloc_objects")
        );
        assert!(find("steady;runbook", None)
            .unwrap()
            .starts_with("memory-drift "));
        assert_eq!(
            find("steady;fds", Some("--top")),
            None,
            "a number has no fixed set"
        );
        let fish = fish(&all);
        assert!(fish.contains("__fish_steady_using_subcommand runbook\" -f -a \"memory-drift"));
    }
}
