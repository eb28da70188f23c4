document.getElementById('same').textContent = 'The script from this origin ran.';
