//! The Python project in the current directory, read for its first-party packages.
//!
//! Without `--first-party`, a developer's own modules looked like installed packages (orange)
//! in their own import graph. A project is a directory holding `pyproject.toml`, `setup.py` or
//! `setup.cfg`; its packages are the `[project] name` of `pyproject.toml` (as an import name:
//! `weather-kit` is `weather_kit`), every package or module under `src/`, and every package
//! (a directory with `__init__.py`) or module next to the project file. Reading is best effort:
//! an unreadable or odd file adds nothing, never an error, and no TOML parser is needed for
//! the one key read.

use std::fs;
use std::path::Path;

/// Top-level import names of the project in `dir`, sorted and without duplicates; empty when
/// `dir` is not a Python project.
pub fn first_party_packages(dir: &Path) -> Vec<String> {
    let pyproject = dir.join("pyproject.toml");
    let is_project =
        pyproject.is_file() || dir.join("setup.py").is_file() || dir.join("setup.cfg").is_file();
    if !is_project {
        return Vec::new();
    }
    let mut names = Vec::new();
    if let Ok(text) = fs::read_to_string(&pyproject)
        && let Some(name) = project_name(&text)
    {
        names.push(import_name(&name));
    }
    names.extend(packages_in(&dir.join("src"), false));
    names.extend(packages_in(dir, true));
    names.retain(|n| is_identifier(n));
    names.sort();
    names.dedup();
    names
}

/// The `name` of the `[project]` table, read line by line: `name = "weather-kit"`.
pub fn project_name(pyproject: &str) -> Option<String> {
    let mut in_project = false;
    for line in pyproject.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_project = line == "[project]";
            continue;
        }
        if !in_project {
            continue;
        }
        let Some(rest) = line.strip_prefix("name") else {
            continue;
        };
        let Some(value) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let value = value.trim();
        let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let end = value[1..].find(quote)?;
        return Some(value[1..1 + end].to_string()).filter(|n| !n.is_empty());
    }
    None
}

/// A distribution name as Python imports it: `-` and `.` become `_` (`weather-kit` is
/// `import weather_kit`); case is kept (`import PIL`).
fn import_name(distribution: &str) -> String {
    distribution.replace(['-', '.'], "_")
}

/// Packages (directories with `__init__.py`, or any directory holding Python files when
/// `strict` is off: src layouts may use namespace packages) and `.py` modules in `dir`.
fn packages_in(dir: &Path, strict: bool) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            let package = path.join("__init__.py").is_file()
                || (!strict && holds_python(&path) && !name.ends_with(".egg-info"));
            if package {
                names.push(name.to_string());
            }
        } else if let Some(module) = name.strip_suffix(".py")
            && module != "setup"
        {
            names.push(module.to_string());
        }
    }
    names
}

fn holds_python(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "py"))
    })
}

/// Whether `name` can be a Python module name (ASCII identifiers; that is what packages use).
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_name_is_read_from_the_project_table_only() {
        let text =
            "[tool.x]\nname = \"not-this\"\n\n[project]\nversion = \"1\"\nname = 'weather-kit'\n";
        assert_eq!(project_name(text).as_deref(), Some("weather-kit"));
        assert_eq!(project_name("[project]\nnames = \"x\"\n"), None);
        assert_eq!(project_name("[build-system]\nname = \"x\"\n"), None);
    }

    #[test]
    fn src_packages_top_level_packages_and_the_name_are_first_party() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(
            root.join("pyproject.toml"),
            "[project]\nname = \"weather-kit\"\n",
        )
        .unwrap();
        fs::create_dir_all(root.join("src/stations")).unwrap();
        fs::write(root.join("src/stations/__init__.py"), "").unwrap();
        fs::create_dir_all(root.join("src/nsonly")).unwrap();
        fs::write(root.join("src/nsonly/mod.py"), "").unwrap();
        fs::write(root.join("src/single.py"), "").unwrap();
        fs::create_dir_all(root.join("toolbox")).unwrap();
        fs::write(root.join("toolbox/__init__.py"), "").unwrap();
        fs::create_dir_all(root.join("docs")).unwrap();
        fs::write(root.join("docs/conf.py"), "").unwrap();
        fs::write(root.join("setup.py"), "").unwrap();
        fs::write(root.join("noxfile.py"), "").unwrap();
        assert_eq!(
            first_party_packages(root),
            [
                "noxfile",
                "nsonly",
                "single",
                "stations",
                "toolbox",
                "weather_kit"
            ]
        );
    }

    #[test]
    fn a_directory_without_a_project_file_has_no_packages() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("pkg")).unwrap();
        fs::write(dir.path().join("pkg/__init__.py"), "").unwrap();
        assert!(first_party_packages(dir.path()).is_empty());
    }
}
