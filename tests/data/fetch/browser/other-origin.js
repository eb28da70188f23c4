document.getElementById('other').textContent = 'A script from another origin ran.';
